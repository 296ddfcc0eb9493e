package emulate

// CreateWorkGroup
//
// Differences from Athena:
//   - Only Name, Description, Configuration.ResultConfiguration.OutputLocation
//     and Configuration.EnforceWorkGroupConfiguration are kept (see
//     GetWorkGroup); tags and the other settings are ignored.
//   - Workgroups are kept in AthenaOptions.StateDir (in memory without
//     one).

import (
	"context"
	"regexp"
	"time"
)

type createWorkGroupInput struct {
	Name          string  `json:"Name"`
	Description   *string `json:"Description"`
	Configuration *struct {
		ResultConfiguration           *athenaResultConfiguration `json:"ResultConfiguration"`
		EnforceWorkGroupConfiguration *bool                      `json:"EnforceWorkGroupConfiguration"`
	} `json:"Configuration"`
}

type createWorkGroupOutput struct{}

var workGroupName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,128}$`)

func (a *AthenaService) createWorkGroup(_ context.Context, in *createWorkGroupInput) (*createWorkGroupOutput, error) {
	if !workGroupName.MatchString(in.Name) {
		return nil, errInvalidRequest("Name must be 1 to 128 letters, digits, '.', '_' or '-'")
	}
	wg := &athenaWorkGroup{name: in.Name, description: deref(in.Description), created: time.Now().UTC()}
	if c := in.Configuration; c != nil {
		if c.ResultConfiguration != nil {
			wg.outputLocation = deref(c.ResultConfiguration.OutputLocation)
		}
		// Not enforced unless asked, as the console's "Override client-side
		// settings" is off by default.
		wg.enforce = c.EnforceWorkGroupConfiguration != nil && *c.EnforceWorkGroupConfiguration
	}
	if wg.outputLocation != "" {
		if _, _, err := parseS3URI(wg.outputLocation); err != nil {
			return nil, errInvalidRequest("OutputLocation: " + err.Error())
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.workGroups[in.Name]; ok {
		return nil, errInvalidRequest("WorkGroup is already created")
	}
	a.workGroups[in.Name] = wg
	if err := a.saveWorkGroups(); err != nil {
		delete(a.workGroups, in.Name)
		return nil, err
	}
	return &createWorkGroupOutput{}, nil
}
