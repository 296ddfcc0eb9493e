package emulate

// GetWorkGroup
//
// Differences from Athena:
//   - A workgroup is its name, description, OutputLocation,
//     EnforceWorkGroupConfiguration and State (ENABLED or DISABLED), with engine
//     version 3, no byte limits, metrics, encryption or tags. The primary
//     workgroup's OutputLocation is AthenaOptions.OutputLocation.

import "context"

type getWorkGroupInput struct {
	WorkGroup string `json:"WorkGroup"`
}

type athenaWorkGroupConfiguration struct {
	ResultConfiguration             athenaResultConfiguration `json:"ResultConfiguration"`
	EnforceWorkGroupConfiguration   bool                      `json:"EnforceWorkGroupConfiguration"`
	PublishCloudWatchMetricsEnabled bool                      `json:"PublishCloudWatchMetricsEnabled"`
	RequesterPaysEnabled            bool                      `json:"RequesterPaysEnabled"`
	EngineVersion                   athenaEngineVersionShape  `json:"EngineVersion"`
}

type athenaWorkGroupShape struct {
	Name          string                       `json:"Name"`
	State         string                       `json:"State"`
	Description   string                       `json:"Description,omitempty"`
	CreationTime  *epochSeconds                `json:"CreationTime,omitempty"`
	Configuration athenaWorkGroupConfiguration `json:"Configuration"`
}

type getWorkGroupOutput struct {
	WorkGroup athenaWorkGroupShape `json:"WorkGroup"`
}

// state is the workgroup's State.
func (wg *athenaWorkGroup) state() string {
	if wg.disabled {
		return "DISABLED"
	}
	return "ENABLED"
}

func (a *AthenaService) getWorkGroup(_ context.Context, in *getWorkGroupInput) (*getWorkGroupOutput, error) {
	if in.WorkGroup == "" {
		return nil, errInvalidRequest("WorkGroup is required")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	wg, ok := a.workGroups[in.WorkGroup]
	if !ok {
		return nil, errInvalidRequest("WorkGroup " + in.WorkGroup + " is not found.")
	}
	return &getWorkGroupOutput{WorkGroup: athenaWorkGroupShape{
		Name:         wg.name,
		State:        wg.state(),
		Description:  wg.description,
		CreationTime: epochPtr(wg.created),
		Configuration: athenaWorkGroupConfiguration{
			ResultConfiguration:           athenaResultConfiguration{OutputLocation: strPtr(wg.outputLocation)},
			EnforceWorkGroupConfiguration: wg.enforce,
			EngineVersion:                 engineVersion,
		},
	}}, nil
}
