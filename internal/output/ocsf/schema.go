package ocsf

// schemaVersion is the OCSF version written to metadata.version.
const schemaVersion = "1.3.0"

// unknown fills required strings the event has no value for.
const unknown = "Unknown"

// Categories.
const (
	catFindings    = 2
	catIAM         = 3
	catNetwork     = 4
	catApplication = 6
)

var categoryNames = map[int]string{
	catFindings:    "Findings",
	catIAM:         "Identity & Access Management",
	catNetwork:     "Network Activity",
	catApplication: "Application Activity",
}

// class describes one OCSF event class: its ids and its activity captions.
type class struct {
	uid        int
	category   int
	name       string
	activities map[int]string
}

var (
	classAPI = &class{uid: 6003, category: catApplication, name: "API Activity", activities: map[int]string{
		0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"}}
	classAuth = &class{uid: 3002, category: catIAM, name: "Authentication", activities: map[int]string{
		0: "Unknown", 1: "Logon", 2: "Logoff", 3: "Authentication Ticket", 4: "Service Ticket Request",
		5: "Service Ticket Renew", 6: "Preauth", 99: "Other"}}
	classAccount = &class{uid: 3001, category: catIAM, name: "Account Change", activities: map[int]string{
		0: "Unknown", 1: "Create", 2: "Enable", 3: "Password Change", 4: "Password Reset", 5: "Disable",
		6: "Delete", 7: "Attach Policy", 8: "Detach Policy", 9: "Lock", 10: "MFA Factor Enable",
		11: "MFA Factor Disable", 99: "Other"}}
	classNetwork = &class{uid: 4001, category: catNetwork, name: "Network Activity", activities: map[int]string{
		0: "Unknown", 1: "Open", 2: "Close", 3: "Reset", 4: "Fail", 5: "Refuse", 6: "Traffic", 7: "Listen", 99: "Other"}}
	classVuln = &class{uid: 2002, category: catFindings, name: "Vulnerability Finding", activities: map[int]string{
		0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}}
)

// Activity tables map the data model's action to a class's activity_id.
// An action not listed becomes 99 (Other) with the action as
// activity_name; no action at all is 0 (Unknown).
var (
	apiActivities = map[string]int{
		"create": 1,
		"get":    2, "list": 2, "read": 2,
		"modify": 3, "put": 3, "update": 3,
		"delete": 4, "terminate": 4, // a terminated instance is deleted
	}
	authActivities = map[string]int{
		"login": 1, "logon": 1, "signin": 1,
		"logout": 2, "logoff": 2, "signout": 2,
	}
	networkActivities = map[string]int{
		// Flow records report traffic whatever the firewall decided; the
		// decision goes to action_id and disposition_id.
		"allowed": 6, "blocked": 6, "traffic": 6,
		"open": 1, "close": 2, "reset": 3, "fail": 4, "refuse": 5, "listen": 7,
	}
	vulnActivities = map[string]int{
		"found": 1, "create": 1,
		"update": 2, "modify": 2,
		"close": 3, "resolve": 3, "resolved": 3, "delete": 3,
	}
)

// accountChanges lists the operations, by the vendor's event name, that
// change an account or its credentials and so are written as Account
// Change (3001) with the given activity_id. 99 (Other) rows keep the event
// name as activity_name: OCSF 1.3 has no activity for access keys.
var accountChanges = []struct {
	name     string
	activity int
}{
	// AWS IAM (CloudTrail)
	{"CreateUser", 1},
	{"CreateRole", 1},
	{"DeleteUser", 6},
	{"DeleteRole", 6},
	{"CreateLoginProfile", 3},
	{"ChangePassword", 3},
	{"UpdateLoginProfile", 4},
	{"DeleteLoginProfile", 99},
	{"AttachUserPolicy", 7},
	{"AttachRolePolicy", 7},
	{"PutUserPolicy", 7},
	{"PutRolePolicy", 7},
	{"DetachUserPolicy", 8},
	{"DetachRolePolicy", 8},
	{"DeleteUserPolicy", 8},
	{"DeleteRolePolicy", 8},
	{"EnableMFADevice", 10},
	{"DeactivateMFADevice", 11},
	{"DeleteVirtualMFADevice", 11},
	{"CreateAccessKey", 99},
	{"UpdateAccessKey", 99},
	{"DeleteAccessKey", 99},
	// GCP IAM admin API (Cloud Audit Logs methodName)
	{"google.iam.admin.v1.CreateServiceAccount", 1},
	{"google.iam.admin.v1.DeleteServiceAccount", 6},
	{"google.iam.admin.v1.EnableServiceAccount", 2},
	{"google.iam.admin.v1.DisableServiceAccount", 5},
	{"google.iam.admin.v1.CreateServiceAccountKey", 99},
	{"google.iam.admin.v1.UploadServiceAccountKey", 99},
	{"google.iam.admin.v1.DeleteServiceAccountKey", 99},
	{"google.iam.admin.v1.DisableServiceAccountKey", 99},
	{"google.iam.admin.v1.EnableServiceAccountKey", 99},
	// Microsoft Entra ID audit log (activityDisplayName)
	{"Add user", 1},
	{"Delete user", 6},
	{"Hard delete user", 6},
	{"Enable account", 2},
	{"Disable account", 5},
	{"Change user password", 3},
	{"Change password (self-service)", 3},
	{"Reset user password", 4},
	{"Reset password (by admin)", 4},
	{"Add member to role", 7},
	{"Add eligible member to role", 7},
	{"Remove member from role", 8},
	{"Remove eligible member from role", 8},
	{"User registered security info", 10},
	{"User deleted security info", 11},
	// Azure Resource Manager (Activity Log operationName)
	{"Microsoft.Authorization/roleAssignments/write", 7},
	{"Microsoft.Authorization/roleAssignments/delete", 8},
}

// accountChangeByName indexes accountChanges by exact name and by
// lower-cased name (Azure operation names vary in case).
var accountChangeByName, accountChangeFolded = func() (map[string]int, map[string]int) {
	exact := make(map[string]int, len(accountChanges))
	folded := make(map[string]int, len(accountChanges))
	for _, r := range accountChanges {
		exact[r.name] = r.activity
		folded[lower(r.name)] = r.activity
	}
	return exact, folded
}()

// severities maps vendor severity words (case-insensitive) to severity_id.
var severities = []struct {
	word string
	id   int
}{
	{"critical", 5},
	{"high", 4}, {"important", 4},
	{"medium", 3}, {"moderate", 3},
	{"low", 2},
	{"informational", 1}, {"info", 1}, {"negligible", 1}, {"minimal", 1}, {"none", 1},
	{"unknown", 0}, {"unspecified", 0}, {"undefined", 0},
}

var severityNames = map[int]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal", 99: "Other"}

// directions maps flow directions to network_connection_info.direction_id.
var directions = []struct {
	word    string
	id      int
	caption string
}{
	{"inbound", 1, "Inbound"}, {"ingress", 1, "Inbound"}, {"in", 1, "Inbound"},
	{"outbound", 2, "Outbound"}, {"egress", 2, "Outbound"}, {"out", 2, "Outbound"},
	{"lateral", 3, "Lateral"}, {"internal", 3, "Lateral"},
}

// protocols maps IANA protocol names and numbers.
var protocols = []struct {
	name string
	num  int64
}{
	{"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"gre", 47}, {"esp", 50}, {"ah", 51},
	{"ipv6-icmp", 58}, {"icmpv6", 58}, {"sctp", 132},
}

// userTypes maps the data model's user_type (case-insensitive) to
// user.type_id: 1 User, 2 Admin, 3 System; others are 99 Other.
var userTypes = []struct {
	word string
	id   int
}{
	{"Root", 2},
	{"IAMUser", 1}, {"User", 1}, {"AssumedRole", 1}, {"FederatedUser", 1}, {"IdentityCenterUser", 1},
	{"AWSService", 3}, {"AWSAccount", 3}, {"ServiceAccount", 3}, {"ServicePrincipal", 3},
	{"ManagedIdentity", 3}, {"Application", 3},
}

// vendors gives, per data model vendor, the metadata.product.vendor_name
// and the cloud.provider (empty: not a cloud provider). Only AWS accounts
// have an account.type_id of their own (10, AWS Account); a GCP project is
// written as cloud.project_uid and an Azure subscription as a plain
// cloud.account.
var vendors = map[string]struct {
	name, provider string
	awsAccount     bool
}{
	"aws":        {"AWS", "AWS", true},
	"azure":      {"Microsoft", "Azure", false},
	"gcp":        {"Google", "GCP", false},
	"kubernetes": {"Kubernetes", "", false},
}

// serviceHosts are suffixes of the API endpoints vendors log as the
// service called or as the calling service.
var serviceHosts = []string{".amazonaws.com", ".googleapis.com"}

// lower returns s in lower case (ASCII), allocating only when it changes.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for k := i; k < len(b); k++ {
				if c := b[k]; c >= 'A' && c <= 'Z' {
					b[k] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// lookupFold looks s up in a map keyed by lower-case strings without
// allocating (names longer than 128 bytes are not looked up).
func lookupFold(m map[string]int, s string) (int, bool) {
	var buf [128]byte
	if len(s) > len(buf) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	v, ok := m[string(buf[:len(s)])]
	return v, ok
}
