package detect

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
	"github.com/vigilsec/vigil/internal/sigma"
)

// A source is one logsource vigil can feed: which events reach rules
// written for it, and how their fields are read.
type source struct {
	key string // "product/service" or "vigil/category"
	// products are the vendor_product values whose events it receives; nil
	// for vigil's data-model logsource (every event, by dataset).
	products []string
	// vendor: rules read the vendor record (event.Record) by path.
	vendor bool
	// names, when set, narrows the products' events to those with one of
	// these event names (a Linux category: process_creation is execve;
	// see vocab.Categories).
	names map[string]bool
	// model maps the field names rules use (Sigma's, such as Image or
	// CommandLine) to data-model fields, for a logsource whose events
	// are the data model's own (the runtime sensor's); other names are
	// read as data-model fields.
	model map[string]string
	// aliases maps field names rules use (ECS-style, Log Analytics
	// columns) to paths in the vendor record, per vendor_product ("" = any).
	aliases map[string]map[string]string
	// prefer lists the fields worth indexing rules by, most selective first.
	prefer []string
	// copies are vendor fields the format copies into the event as they
	// are: rules read them from the event, not by a walk of the record.
	copies map[string]copied
}

// copied says where the event holds a vendor field: in a data-model
// field (when set; else the record is read), or, with absentUnless, in
// the record only for events that pass the test (errorCode is present
// only on failures).
type copied struct {
	field        string
	absentUnless func(*event.Event) bool
}

// vendorSources are the vendor logsources, by "product/service".
var vendorSources = map[string]*source{
	"aws/cloudtrail": {
		products: []string{"AWS CloudTrail"},
		vendor:   true,
		prefer:   []string{"eventName", "errorCode", "eventSource", "userIdentity.type"},
		copies: map[string]copied{
			"eventName":                {field: "event_name"},
			"eventID":                  {field: "event_id"},
			"userAgent":                {field: "http_user_agent"},
			"sourceIPAddress":          {field: "src"},
			"awsRegion":                {field: "region"},
			"userIdentity.type":        {field: "user_type"},
			"userIdentity.accessKeyId": {field: "credential_id"},
			"userIdentity.principalId": {field: "src_user_id"},
			"eventSource":              {field: "service"},
			"errorCode":                {absentUnless: failed},
		},
	},
	"azure/activitylogs": {
		products: []string{"Azure Activity Log"},
		vendor:   true,
		prefer:   []string{"operationName", "OperationNameValue", "properties.operationName"},
		aliases: map[string]map[string]string{"": {
			// Log Analytics AzureActivity columns → diagnostic-settings record.
			"OperationNameValue":    "operationName",
			"OperationName":         "operationName",
			"ActivityStatusValue":   "resultType",
			"ActivityStatus":        "resultType",
			"ResultType":            "resultType",
			"CategoryValue":         "category",
			"Category":              "category",
			"ResourceProviderValue": "properties.resourceProviderValue",
			"ResourceId":            "resourceId",
			"CallerIpAddress":       "callerIpAddress",
			"Level":                 "level",
		}},
	},
	"azure/signinlogs": {
		products: []string{"Microsoft Entra ID sign-in logs"},
		vendor:   true,
		aliases: map[string]map[string]string{"": {
			// Log Analytics SigninLogs columns → diagnostic-settings record.
			"ResultType":                "resultType",
			"ResultDescription":         "resultDescription",
			"AuthenticationRequirement": "properties.authenticationRequirement",
			"AppDisplayName":            "properties.appDisplayName",
			"UserPrincipalName":         "properties.userPrincipalName",
			"IPAddress":                 "properties.ipAddress",
			"ConditionalAccessStatus":   "properties.conditionalAccessStatus",
			"RiskLevelDuringSignIn":     "properties.riskLevelDuringSignIn",
			"RiskState":                 "properties.riskState",
			"Status":                    "properties.status",
			"DeviceDetail":              "properties.deviceDetail",
			"Location":                  "properties.location",
			"ClientAppUsed":             "properties.clientAppUsed",
			"UserAgent":                 "properties.userAgent",
			"Category":                  "category",
		}},
	},
	"azure/auditlogs": {
		products: []string{"Microsoft Entra ID audit logs"},
		vendor:   true,
		prefer:   []string{"properties.activityDisplayName", "ActivityDisplayName", "operationName"},
		aliases: map[string]map[string]string{"": {
			"ActivityDisplayName": "properties.activityDisplayName",
			"OperationName":       "operationName",
			"Category":            "category",
			"LoggedByService":     "properties.loggedByService",
			"Result":              "properties.result",
			"ResultDescription":   "properties.resultReason",
			"TargetResources":     "properties.targetResources",
			"InitiatedBy":         "properties.initiatedBy",
			"AdditionalDetails":   "properties.additionalDetails",
		}},
	},
	"gcp/gcp.audit": {
		products: []string{"GCP Cloud Audit Logs", "GKE Audit"},
		vendor:   true,
		prefer:   []string{"protoPayload.methodName", "gcp.audit.method_name"},
		aliases: map[string]map[string]string{"": {
			// ECS (Elastic gcp.audit) names → Cloud Audit LogEntry.
			"gcp.audit.method_name":                         "protoPayload.methodName",
			"gcp.audit.service_name":                        "protoPayload.serviceName",
			"gcp.audit.resource_name":                       "protoPayload.resourceName",
			"gcp.audit.authentication_info.principal_email": "protoPayload.authenticationInfo.principalEmail",
			"gcp.audit.request":                             "protoPayload.request",
			"gcp.audit.response":                            "protoPayload.response",
			"gcp.audit.status.code":                         "protoPayload.status.code",
			"source.ip":                                     "protoPayload.requestMetadata.callerIp",
			"user_agent.original":                           "protoPayload.requestMetadata.callerSuppliedUserAgent",
		}},
	},
	"kubernetes/audit": {
		products: []string{"Kubernetes Audit", "AKS Audit", "Amazon EKS Audit", "GKE Audit"},
		vendor:   true,
		prefer:   []string{"verb", "objectRef.resource", "protoPayload.methodName"},
		aliases: map[string]map[string]string{"GKE Audit": {
			// A GKE LogEntry carries the audit event as an AuditLog.
			"user.username":       "protoPayload.authenticationInfo.principalEmail",
			"sourceIPs":           "protoPayload.requestMetadata.callerIp",
			"userAgent":           "protoPayload.requestMetadata.callerSuppliedUserAgent",
			"requestObject":       "protoPayload.request",
			"responseObject":      "protoPayload.response",
			"responseStatus.code": "protoPayload.status.code",
			"requestURI":          "protoPayload.resourceName",
			"annotations":         "labels",
		}},
	},
}

func failed(e *event.Event) bool { return e.Status == event.StatusFailure }

// accepts reports whether an event of one of the source's products is
// meant for its rules.
func (s *source) accepts(e *event.Event) bool {
	return s.names == nil || s.names[e.EventName]
}

// resolver reads fields as the source's rules name them.
func (s *source) resolver(slots *slots) sigma.Resolver[*Doc] {
	switch {
	case s.vendor:
		return vendorResolver{src: s, slots: slots}
	case s.model != nil:
		return aliasResolver{names: s.model}
	}
	return modelResolver{}
}

// aliasResolver reads data-model fields under other names.
type aliasResolver struct{ names map[string]string }

func (r aliasResolver) Field(name string) (sigma.Getter[*Doc], error) {
	if to, ok := r.names[name]; ok {
		if to == "" {
			return nil, &fieldError{name: name, why: "is not recorded by vigil's sensor"}
		}
		if get, ok := computed[to]; ok {
			return get, nil
		}
		name = to
	}
	return modelResolver{}.Field(name)
}

func (aliasResolver) Keywords() (sigma.Getter[*Doc], error) { return modelResolver{}.Keywords() }

// linuxFields maps Sigma's field names for Linux (as Sysmon for Linux
// writes them) to the data model, for the Linux logsources the runtime
// sensor feeds: the Sigma categories of its vocabulary (vocab.Categories,
// each with the sensor event names it receives).
var linuxFields = map[string]string{
	"Image":               "process_path",
	"CommandLine":         "process",
	"CurrentDirectory":    "process_current_directory",
	"ProcessId":           "process_id",
	"ParentProcessId":     "parent_process_id",
	"ParentImage":         "parent_process_path",
	"ParentCommandLine":   "parent_process",
	"User":                "src_user",
	"LogonId":             "process_login_id",
	"TargetFilename":      "file_path",
	"SourceFilename":      "file_source_path",
	"DestinationIp":       "dest_ip",
	"DestinationPort":     "dest_port",
	"SourceIp":            "src_ip",
	"SourcePort":          "src_port",
	"Protocol":            "transport",
	"Initiated":           "initiated",
	"DestinationHostname": "dest_host",
	"ContainerId":         "container_id",
	"ContainerName":       "container_name",
	"ContainerImage":      "image",
}

// computed are fields derived from the data model for a Sigma name.
var computed = map[string]sigma.Getter[*Doc]{
	// Initiated: true for a connection the process made, false for one
	// it accepted.
	"initiated": func(d *Doc) sigma.Value {
		if d.E.Network == nil {
			return sigma.Value{}
		}
		switch d.E.Network.Direction {
		case "outbound":
			return sigma.Value{Kind: sigma.Bool, S: "true"}
		case "inbound":
			return sigma.Value{Kind: sigma.Bool, S: "false"}
		}
		return sigma.Value{}
	},
	// dest_host: the sensor sees addresses, not host names, so a rule
	// on a destination's name never matches a sensor event (it still
	// loads, and matches nothing rather than the node's own name).
	"dest_host": func(*Doc) sigma.Value { return sigma.Value{} },
}

// SensorProduct is the vendor_product of the runtime sensor's events.
const SensorProduct = vocab.Product

func init() {
	for cat, names := range vocab.Categories() {
		src := &source{products: []string{SensorProduct}, names: map[string]bool{}, model: linuxFields,
			prefer: []string{"Image", "TargetFilename", "DestinationPort", "DestinationIp"}}
		for _, n := range names {
			src.names[n] = true
		}
		vendorSources["linux/"+cat] = src
	}
	for k, s := range vendorSources {
		s.key = k
	}
}

// sourceFor returns the logsource a rule's logsource selects, or nil
// when vigil feeds no such events (the rule loads but stays idle).
func sourceFor(ls sigma.Logsource) *source {
	p := strings.ToLower(ls.Product)
	if p == "vigil" {
		cat := strings.ToLower(ls.Category)
		if cat == "" || datasetOf(cat) != "" {
			return &source{key: "vigil/" + cat, prefer: vigilPrefer}
		}
		return nil
	}
	if p == "linux" && ls.Service == "" {
		return vendorSources["linux/"+strings.ToLower(ls.Category)]
	}
	return vendorSources[p+"/"+strings.ToLower(ls.Service)]
}

// vigilPrefer are the data-model fields rules are indexed by, most
// selective first.
// Fields with few values come last: vendor "aws" holds nearly every AWS
// event, status "failure" few.
var vigilPrefer = []string{"event_name", "action", "tags", "user_type", "status", "dataset", "vendor_product", "vendor"}

// datasetOf maps a vigil logsource category to its dataset ("" if none).
func datasetOf(category string) event.Dataset {
	for _, d := range event.Datasets {
		if strings.EqualFold(string(d), category) {
			return d
		}
	}
	return ""
}
