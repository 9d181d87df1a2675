package azureactivity

import (
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// verbs derive an action from the verb of an operation: the last segment of
// an ARM operation ("write", "delete", "read") or the last two for actions
// ("start/action", "listKeys/action"), and the whole name of a Storage
// resource-log operation ("GetBlob", "PutBlob"). Longer prefixes come first.
var verbs = []source.Verb{
	{"read", "get"}, {"get", "get"}, {"beginGetAccess", "get"}, {"endGetAccess", "get"}, {"export", "get"}, {"download", "get"}, {"query", "get"}, {"head", "get"},
	{"listKeys", "get"}, {"listCredential", "get"}, {"listClusterAdminCredential", "get"}, {"listClusterUserCredential", "get"}, {"list", "list"},
	{"write", "modify"}, {"put", "put"}, {"upload", "put"}, {"append", "modify"},
	{"delete", "delete"}, {"purge", "delete"}, {"unregister", "delete"},
	{"restart", "start"}, {"redeploy", "start"}, {"start", "start"},
	{"powerOff", "stop"}, {"deallocate", "stop"}, {"stop", "stop"},
	{"runCommand", "run"}, {"run", "run"}, {"exec", "exec"}, {"invoke", "run"},
	{"create", "create"}, {"copy", "create"}, {"restore", "create"}, {"recover", "create"}, {"capture", "create"}, {"import", "create"}, {"register", "create"}, {"generate", "create"},
	{"set", "modify"}, {"update", "modify"}, {"regenerate", "modify"}, {"rotate", "modify"}, {"reimage", "modify"}, {"generalize", "modify"}, {"extend", "modify"}, {"lock", "modify"}, {"publish", "modify"}, {"refresh", "modify"}, {"move", "modify"}, {"modify", "modify"}, {"deployIfNotExists", "modify"},
	{"join", "attach"}, {"attach", "attach"}, {"detach", "detach"},
	{"enable", "enable"}, {"disable", "disable"},
	{"elevateAccess", "grant"}, {"assign", "grant"}, {"grant", "grant"}, {"revoke", "revoke"},
	{"auditIfNotExists", "audit"}, {"audit", "audit"}, {"deny", "deny"},
}

// Field specs shared by several operations.
var (
	// accessKeys tags operations that hand out or reset account keys.
	accessKeys = source.Spec{{Field: "tags", Const: "access-keys"}}
)

// ops maps an operation to dataset and action. Service is the provider
// namespace and resource type path ("Microsoft.Compute/virtualMachines");
// an operation is looked up at its own type first, then at each parent
// type up to the bare namespace, so a "*" row covers everything below it.
// Name is the verb part ("start/action", "write"). Storage resource logs,
// whose operations ("GetBlob") carry no provider, are looked up by the
// resource id's type and then by category (StorageRead, ...).
var ops = source.NewTable(true, verbs, []source.Op{
	// Compute
	{"Microsoft.Compute", "*", event.Compute, "", nil},
	{"Microsoft.Compute/virtualMachines", "start/action", event.Compute, "start", nil},
	{"Microsoft.Compute/virtualMachines", "restart/action", event.Compute, "start", nil},
	{"Microsoft.Compute/virtualMachines", "deallocate/action", event.Compute, "stop", nil},
	{"Microsoft.Compute/virtualMachines", "powerOff/action", event.Compute, "stop", nil},
	{"Microsoft.Compute/virtualMachines", "runCommand/action", event.Compute, "run", nil},
	{"Microsoft.Compute/virtualMachines/runCommands", "write", event.Compute, "run", nil},
	{"Microsoft.Compute/virtualMachines/extensions", "write", event.Compute, "modify", nil},
	{"Microsoft.Compute/virtualMachineScaleSets/virtualMachines", "runCommand/action", event.Compute, "run", nil},
	{"Microsoft.Compute/disks", "*", event.Storage, "", nil},
	{"Microsoft.Compute/disks", "beginGetAccess/action", event.Storage, "get", source.Spec{{Field: "tags", Const: "disk-export"}}},
	{"Microsoft.Compute/snapshots", "*", event.Storage, "", nil},
	{"Microsoft.Compute/snapshots", "beginGetAccess/action", event.Storage, "get", source.Spec{{Field: "tags", Const: "disk-export"}}},
	{"Microsoft.Compute/restorePointCollections", "*", event.Storage, "", nil},
	{"Microsoft.ClassicCompute", "*", event.Compute, "", nil},
	{"Microsoft.Web", "*", event.Compute, "", nil},
	{"Microsoft.Web/sites/hostruntime", "host/action", event.Compute, "get", accessKeys},
	{"Microsoft.Web/sites/config", "list/action", event.Compute, "get", accessKeys},
	{"Microsoft.Batch", "*", event.Compute, "", nil},
	{"Microsoft.SerialConsole", "*", event.Compute, "", nil},
	{"Microsoft.SerialConsole/serialPorts", "connect/action", event.Compute, "run", nil},
	{"Microsoft.DevTestLab", "*", event.Compute, "", nil},

	// Storage
	{"Microsoft.Storage", "*", event.Storage, "", nil},
	{"Microsoft.Storage/storageAccounts", "listKeys/action", event.Storage, "get", accessKeys},
	{"Microsoft.Storage/storageAccounts", "regenerateKey/action", event.Storage, "modify", accessKeys},
	{"Microsoft.Storage/storageAccounts", "listAccountSas/action", event.Storage, "get", accessKeys},
	{"Microsoft.Storage/storageAccounts", "listServiceSas/action", event.Storage, "get", accessKeys},
	{"StorageRead", "*", event.Storage, "", nil},
	{"StorageWrite", "*", event.Storage, "", nil},
	{"StorageDelete", "*", event.Storage, "", nil},
	{"Microsoft.RecoveryServices", "*", event.Storage, "", nil},
	{"Microsoft.DataProtection", "*", event.Storage, "", nil},
	{"Microsoft.NetApp", "*", event.Storage, "", nil},
	{"Microsoft.StorageSync", "*", event.Storage, "", nil},
	{"Microsoft.DataLakeStore", "*", event.Storage, "", nil},

	// Security: identity, access control, keys and secrets, firewalls, security services
	{"Microsoft.Authorization", "*", event.Security, "", nil},
	{"Microsoft.Authorization", "elevateAccess/action", event.Security, "grant", nil},
	{"Microsoft.Authorization/roleAssignments", "write", event.Security, "grant", nil},
	{"Microsoft.Authorization/roleAssignments", "delete", event.Security, "revoke", nil},
	{"Microsoft.Authorization/roleDefinitions", "*", event.Security, "", nil},
	{"Microsoft.Authorization/policyAssignments", "*", event.Security, "", nil},
	{"Microsoft.Authorization/policyDefinitions", "*", event.Security, "", nil},
	{"Microsoft.Authorization/locks", "*", event.Security, "", nil},
	{"Microsoft.Authorization/policies", "*", event.Security, "", nil},
	{"Microsoft.KeyVault", "*", event.Security, "", nil},
	{"Microsoft.Security", "*", event.Security, "", nil},
	{"Microsoft.SecurityInsights", "*", event.Security, "", nil},
	{"Microsoft.AAD", "*", event.Security, "", nil},
	{"Microsoft.AzureActiveDirectory", "*", event.Security, "", nil},
	{"Microsoft.ManagedIdentity", "*", event.Security, "", nil},
	{"Microsoft.Network/networkSecurityGroups", "*", event.Security, "", nil},
	{"Microsoft.Network/networkSecurityGroups/securityRules", "*", event.Security, "", nil},
	{"Microsoft.Network/applicationSecurityGroups", "*", event.Security, "", nil},
	{"Microsoft.Network/azureFirewalls", "*", event.Security, "", nil},
	{"Microsoft.Network/firewallPolicies", "*", event.Security, "", nil},
	{"Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "*", event.Security, "", nil},
	{"Microsoft.Network/frontDoorWebApplicationFirewallPolicies", "*", event.Security, "", nil},
	{"Microsoft.Network/ddosProtectionPlans", "*", event.Security, "", nil},
	{"Microsoft.Sql/servers/firewallRules", "*", event.Security, "", nil},

	// Management: monitoring, logging, resource organisation, networking configuration
	{"Microsoft.Insights", "*", event.Management, "", nil},
	{"Microsoft.OperationalInsights", "*", event.Management, "", nil},
	{"Microsoft.AlertsManagement", "*", event.Management, "", nil},
	{"Microsoft.Resources", "*", event.Management, "", nil},
	{"Microsoft.Management", "*", event.Management, "", nil},
	{"Microsoft.Subscription", "*", event.Management, "", nil},
	{"Microsoft.PolicyInsights", "*", event.Management, "", nil},
	{"Microsoft.Advisor", "*", event.Management, "", nil},
	{"Microsoft.ResourceHealth", "*", event.Management, "", nil},
	{"Microsoft.ServiceHealth", "*", event.Management, "", nil},
	{"Microsoft.Support", "*", event.Management, "", nil},
	{"Microsoft.Automation", "*", event.Management, "", nil},
	{"Microsoft.Automation/automationAccounts/jobs", "write", event.Management, "run", nil},
	{"Microsoft.Automation/automationAccounts/runbooks", "publish/action", event.Management, "modify", nil},
	{"Microsoft.Automation/automationAccounts", "webhooks/action", event.Management, "create", nil},
	{"Microsoft.EventHub", "*", event.Management, "", nil},
	{"Microsoft.ServiceBus", "*", event.Management, "", nil},
	{"Microsoft.Network", "*", event.Management, "", nil},
	{"Microsoft.Network/networkWatchers", "startPacketCapture/action", event.Management, "start", nil},
	{"Microsoft.Network/networkWatchers/packetCaptures", "write", event.Management, "start", nil},

	// Database
	{"Microsoft.Sql", "*", event.Database, "", nil},
	{"Microsoft.DocumentDB", "*", event.Database, "", nil},
	{"Microsoft.DocumentDB/databaseAccounts", "listKeys/action", event.Database, "get", accessKeys},
	{"Microsoft.DocumentDB/databaseAccounts", "listConnectionStrings/action", event.Database, "get", accessKeys},
	{"Microsoft.DBforPostgreSQL", "*", event.Database, "", nil},
	{"Microsoft.DBforMySQL", "*", event.Database, "", nil},
	{"Microsoft.DBforMariaDB", "*", event.Database, "", nil},
	{"Microsoft.Cache", "*", event.Database, "", nil},
	{"Microsoft.Synapse", "*", event.Database, "", nil},
	{"Microsoft.Kusto", "*", event.Database, "", nil},

	// Container: registries and orchestrators
	{"Microsoft.ContainerService", "*", event.Container, "", nil},
	{"Microsoft.ContainerService/managedClusters", "runCommand/action", event.Container, "run", nil},
	{"Microsoft.ContainerService/managedClusters", "listClusterAdminCredential/action", event.Container, "get", accessKeys},
	{"Microsoft.ContainerService/managedClusters", "listClusterUserCredential/action", event.Container, "get", accessKeys},
	{"Microsoft.ContainerService/managedClusters/accessProfiles", "listCredential/action", event.Container, "get", accessKeys},
	{"Microsoft.Kubernetes", "*", event.Container, "", nil},
	{"Microsoft.KubernetesConfiguration", "*", event.Container, "", nil},
	{"Microsoft.ContainerRegistry", "*", event.Container, "", nil},
	{"Microsoft.ContainerRegistry/registries", "importImage/action", event.Container, "push", nil},
	{"Microsoft.ContainerRegistry/registries/push", "write", event.Container, "push", nil},
	{"Microsoft.ContainerRegistry/registries/pull", "read", event.Container, "pull", nil},
	{"Microsoft.ContainerRegistry/registries", "listCredentials/action", event.Container, "get", accessKeys},
	{"Microsoft.ContainerRegistry/registries", "regenerateCredential/action", event.Container, "modify", accessKeys},
	{"Microsoft.ContainerInstance", "*", event.Container, "", nil},
	{"Microsoft.ContainerInstance/containerGroups/containers", "exec/action", event.Container, "exec", nil},
	{"Microsoft.App", "*", event.Container, "", nil},
})
