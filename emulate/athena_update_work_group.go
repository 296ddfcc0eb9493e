package emulate

// UpdateWorkGroup
//
// Differences from Athena: only Description, State and, of
// ConfigurationUpdates, EnforceWorkGroupConfiguration and
// ResultConfigurationUpdates' OutputLocation and RemoveOutputLocation are
// applied (see GetWorkGroup); the other settings are accepted and ignored.
// A DISABLED workgroup refuses StartQueryExecution and CreateNamedQuery.
// An updated primary workgroup keeps its settings across restarts, over
// AthenaOptions.OutputLocation.

import "context"

type updateWorkGroupInput struct {
	WorkGroup            string  `json:"WorkGroup"`
	Description          *string `json:"Description"`
	State                *string `json:"State"`
	ConfigurationUpdates *struct {
		EnforceWorkGroupConfiguration *bool `json:"EnforceWorkGroupConfiguration"`
		ResultConfigurationUpdates    *struct {
			OutputLocation       *string `json:"OutputLocation"`
			RemoveOutputLocation *bool   `json:"RemoveOutputLocation"`
		} `json:"ResultConfigurationUpdates"`
	} `json:"ConfigurationUpdates"`
}

type updateWorkGroupOutput struct{}

func (a *AthenaService) updateWorkGroup(_ context.Context, in *updateWorkGroupInput) (*updateWorkGroupOutput, error) {
	if in.WorkGroup == "" {
		return nil, errInvalidRequest("WorkGroup is required")
	}
	if s := deref(in.State); s != "" && s != "ENABLED" && s != "DISABLED" {
		return nil, errInvalidRequest("State must be ENABLED or DISABLED, not " + s)
	}
	if d := deref(in.Description); len(d) > 1024 {
		return nil, errInvalidRequest("Description is over 1024 characters")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	wg, ok := a.workGroups[in.WorkGroup]
	if !ok {
		return nil, errInvalidRequest("WorkGroup " + in.WorkGroup + " is not found.")
	}
	next := *wg
	next.updated = true
	if in.Description != nil {
		next.description = *in.Description
	}
	if in.State != nil && *in.State != "" {
		next.disabled = *in.State == "DISABLED"
	}
	if c := in.ConfigurationUpdates; c != nil {
		if c.EnforceWorkGroupConfiguration != nil {
			next.enforce = *c.EnforceWorkGroupConfiguration
		}
		if r := c.ResultConfigurationUpdates; r != nil {
			if r.OutputLocation != nil {
				if _, _, err := parseS3URI(*r.OutputLocation); err != nil {
					return nil, errInvalidRequest("OutputLocation: " + err.Error())
				}
				next.outputLocation = *r.OutputLocation
			}
			if deref(r.RemoveOutputLocation) {
				next.outputLocation = ""
			}
		}
	}
	a.workGroups[in.WorkGroup] = &next
	if err := a.saveWorkGroups(); err != nil {
		a.workGroups[in.WorkGroup] = wg
		return nil, err
	}
	return &updateWorkGroupOutput{}, nil
}
