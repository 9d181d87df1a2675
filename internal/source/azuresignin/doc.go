// Package azuresignin reads Microsoft Entra ID (Azure AD) sign-in, audit
// and provisioning logs — diagnostic-settings records (storage, Event Hub)
// and the Microsoft Graph signIns and directoryAudits resources — and maps
// sign-ins onto Authentication and directory changes onto Security (or
// Authentication) with the activity table in ops.go.
package azuresignin
