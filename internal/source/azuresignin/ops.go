package azuresignin

import (
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// verbs derive an action from an audit activity's display name ("Add
// member to role", "Update application – Certificates and secrets
// management", "Reset user password") or a provisioning action. Specific
// multi-word prefixes come before the bare verbs they start with.
var verbs = []source.Verb{
	{"Add member to role", "grant"}, {"Add eligible member to role", "grant"}, {"Add scoped member to role", "grant"},
	{"Add app role assignment", "grant"}, {"Add delegated permission grant", "grant"}, {"Add OAuth2PermissionGrant", "grant"},
	{"Consent to application", "grant"}, {"Assign", "grant"}, {"User has elevated", "grant"}, {"Elevate", "grant"},
	{"Remove member from role", "revoke"}, {"Remove eligible member from role", "revoke"}, {"Remove scoped member from role", "revoke"},
	{"Remove app role assignment", "revoke"}, {"Remove delegated permission grant", "revoke"}, {"Remove OAuth2PermissionGrant", "revoke"},
	{"Remove role assignment", "revoke"}, {"Revoke", "revoke"}, {"Unassign", "revoke"},
	{"Add member to group", "attach"}, {"Add owner to", "attach"}, {"Add registered owner to", "attach"}, {"Add registered users to", "attach"},
	{"Remove member from group", "detach"}, {"Remove owner from", "detach"}, {"Remove registered owner from", "detach"}, {"Remove registered users from", "detach"},
	{"User registered", "create"}, {"Admin registered", "create"}, {"User deleted", "delete"}, {"Admin deleted", "delete"},
	{"User changed", "modify"}, {"Admin updated", "modify"}, {"User started", "modify"},
	{"Hard delete", "delete"}, {"Delete", "delete"}, {"Remove", "delete"}, {"StagedDelete", "delete"},
	{"Add", "create"}, {"Create", "create"}, {"Invite", "create"}, {"Register", "create"}, {"Restore", "create"},
	{"Update", "modify"}, {"Set", "modify"}, {"Change", "modify"}, {"Reset", "modify"}, {"Confirm", "modify"}, {"Verify", "modify"},
	{"Disable", "disable"}, {"Enable", "enable"},
}

// activity is the pseudo-service of rows keyed by an activity's name;
// other rows are keyed by the audit category ("*" rows).
const activity = "Entra ID"

// ops maps an audit activity to dataset and action: first by its display
// name (rows of service "Entra ID"), then by its category. Changes to how
// users authenticate — authentication methods, MFA and security-info
// registration, domain federation, session revocation — are
// Authentication; user, group, role, application, credential and policy
// management are Security.
var ops = source.NewTable(true, verbs, []source.Op{
	// Authentication: authentication methods, federation, sessions
	{activity, "Set federation settings on domain", event.Authentication, "modify", nil},
	{activity, "Set domain authentication", event.Authentication, "modify", nil},
	{activity, "Update domain", event.Authentication, "modify", nil},
	{activity, "Update authentication methods policy", event.Authentication, "modify", nil},
	{activity, "Authentication Methods Policy Update", event.Authentication, "modify", nil},
	{activity, "Authentication Methods Policy Reset", event.Authentication, "modify", nil},
	{activity, "User registered security info", event.Authentication, "create", nil},
	{activity, "User registered all required security info", event.Authentication, "create", nil},
	{activity, "User changed default security info", event.Authentication, "modify", nil},
	{activity, "User deleted security info", event.Authentication, "delete", nil},
	{activity, "Admin registered security info", event.Authentication, "create", nil},
	{activity, "Admin updated security info", event.Authentication, "modify", nil},
	{activity, "Admin deleted security info", event.Authentication, "delete", nil},
	{activity, "User started security info registration", event.Authentication, "modify", nil},
	{activity, "Disable Strong Authentication", event.Authentication, "disable", nil},
	{activity, "Update per-user multifactor authentication state", event.Authentication, "modify", nil},
	{activity, "Update StsRefreshTokenValidFrom Timestamp", event.Authentication, "revoke", nil},
	{activity, "Revoke user sessions", event.Authentication, "revoke", nil},
	{activity, "Add a new federated identity credential", event.Authentication, "create", nil},

	// Security: directory objects and their permissions
	{activity, "Add service principal credentials", event.Security, "create", nil},
	{activity, "Remove service principal credentials", event.Security, "delete", nil},
	{activity, "Update application – Certificates and secrets management", event.Security, "modify", nil},
	{activity, "Update application - Certificates and secrets management", event.Security, "modify", nil},
	{"UserManagement", "*", event.Security, "", nil},
	{"GroupManagement", "*", event.Security, "", nil},
	{"RoleManagement", "*", event.Security, "", nil},
	{"ApplicationManagement", "*", event.Security, "", nil},
	{"Policy", "*", event.Security, "", nil},
	{"DirectoryManagement", "*", event.Security, "", nil},
	{"Device", "*", event.Security, "", nil},
	{"DeviceConfiguration", "*", event.Security, "", nil},
	{"AdministrativeUnit", "*", event.Security, "", nil},
	{"EntitlementManagement", "*", event.Security, "", nil},
	{"KeyManagement", "*", event.Security, "", nil},
	{"PermissionGrantPolicy", "*", event.Security, "", nil},
	{"ResourceManagement", "*", event.Security, "", nil},
	{"Authorization", "*", event.Security, "", nil},
	{"ProvisioningManagement", "*", event.Security, "", nil},
	{"Other", "*", event.Security, "", nil},
	{"Authentication", "*", event.Authentication, "", nil},
	{"UserAuthenticationMethod", "*", event.Authentication, "", nil},
})
