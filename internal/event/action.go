package event

// computeActions are the only actions the Compute dataset reports.
var computeActions = map[string]string{
	"get": "get", "list": "get", "read": "get",
	"put": "put", "run": "run", "exec": "run",
	"start": "start", "stop": "stop", "terminate": "terminate",
	"create": "create", "delete": "delete", "modify": "modify",
}

// CanonicalAction maps an action onto its dataset's vocabulary: Compute
// allows only get, put, run, start, stop, terminate, create, delete and
// modify, so other verbs (list, attach, grant, enable, ...) fold into those.
// Other datasets keep the action as given.
func CanonicalAction(ds Dataset, action string) string {
	if ds != Compute || action == "" {
		return action
	}
	if a, ok := computeActions[action]; ok {
		return a
	}
	return "modify"
}
