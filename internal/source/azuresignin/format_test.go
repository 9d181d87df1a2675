package azuresignin_test

import (
	"os"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/azuresignin"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

const corpus = "azure/signin/panther-tests.jsonl"

// Synthetic records shaped like Microsoft's documented examples.
const (
	// An interactive sign-in with MFA through the authenticator app, in the
	// diagnostic-settings form.
	signInMFA = `{"time":"2024-05-02T08:14:31.0123456Z","resourceId":"/tenants/4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"SignInLogs","tenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","resultType":"0","resultSignature":"None","durationMs":0,"callerIpAddress":"198.51.100.23","correlationId":"2c5e2f1c-7b3d-4a7b-9c1d-0e4f6a8b9c0d","identity":"Dana Smith","Level":4,"location":"DE","properties":{"id":"9a4b5c6d-1e2f-4a3b-8c7d-6e5f4a3b2c1d","createdDateTime":"2024-05-02T08:12:57.2345678+00:00","userDisplayName":"Dana Smith","userPrincipalName":"dana@contoso.com","userId":"5f2e1d0c-9b8a-4f7e-a6d5-c4b3a2918070","appId":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","appDisplayName":"Azure Portal","ipAddress":"198.51.100.23","status":{"errorCode":0},"clientAppUsed":"Browser","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36","deviceDetail":{"deviceId":"","operatingSystem":"Windows10","browser":"Chrome 124.0.0"},"location":{"city":"Berlin","state":"Berlin","countryOrRegion":"DE"},"mfaDetail":{"authMethod":"Mobile app notification","authDetail":null},"correlationId":"2c5e2f1c-7b3d-4a7b-9c1d-0e4f6a8b9c0d","conditionalAccessStatus":"success","isInteractive":true,"tokenIssuerType":"AzureAD","authenticationProtocol":"none","authenticationRequirement":"multiFactorAuthentication","authenticationDetails":[{"authenticationStepDateTime":"2024-05-02T08:12:57Z","authenticationMethod":"Password","succeeded":true},{"authenticationStepDateTime":"2024-05-02T08:13:10Z","authenticationMethod":"Mobile app notification","authenticationMethodDetail":"","succeeded":true,"authenticationStepResultDetail":"MFA successfully completed"}],"riskLevelDuringSignIn":"none","riskState":"none","userType":"Member","homeTenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","resourceTenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","resourceDisplayName":"Windows Azure Service Management API"}}`

	// A guest from another tenant, federated through AD FS, failing.
	signInFederatedGuest = `{"time":"2024-05-02T09:00:00Z","resourceId":"/tenants/4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs","tenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","resultType":"50074","resultDescription":"Strong Authentication is required.","callerIpAddress":"203.0.113.99","correlationId":"c1","properties":{"id":"s-2","createdDateTime":"2024-05-02T08:59:58Z","userPrincipalName":"partner@fabrikam.com","appDisplayName":"Microsoft Teams","ipAddress":"203.0.113.99","status":{"errorCode":50074,"failureReason":"Strong Authentication is required."},"isInteractive":true,"tokenIssuerType":"ADFederationServices","tokenIssuerName":"https://sts.fabrikam.com/adfs/services/trust","authenticationRequirement":"singleFactorAuthentication","crossTenantAccessType":"b2bCollaboration","homeTenantId":"7d1b2c3a-aaaa-bbbb-cccc-0123456789ab","resourceTenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","userType":"Guest","riskLevelDuringSignIn":"medium"}}`

	// A managed identity getting a token for Key Vault.
	signInManagedIdentity = `{"time":"2024-05-02T10:00:00Z","resourceId":"/tenants/4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"ManagedIdentitySignInLogs","tenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","resultType":"0","callerIpAddress":"10.1.2.3","correlationId":"c2","properties":{"id":"s-3","createdDateTime":"2024-05-02T09:59:59Z","appId":"0e6c2a1b-2222-4f3e-9d8c-7b6a5f4e3d2c","servicePrincipalId":"8b7a6c5d-3333-4e2f-8a9b-1c2d3e4f5a6b","servicePrincipalName":"vm-web-01","resourceDisplayName":"Azure Key Vault","ipAddress":"10.1.2.3","status":{"errorCode":0},"managedIdentityType":"systemAssigned","isInteractive":false}}`

	// Microsoft Graph GET /auditLogs/signIns item.
	graphSignIn = `{"id":"66ea54eb-6301-4ee5-be62-ff5a759b0100","createdDateTime":"2024-03-13T19:15:41.6195833Z","userDisplayName":"Test Contoso","userPrincipalName":"testaccount1@contoso.com","userId":"26be570a-ae82-4189-b4e2-a37c6808512d","appId":"de8bc8b5-d9f9-48b1-a8ad-b748da725064","appDisplayName":"Graph Explorer","ipAddress":"131.107.159.37","clientAppUsed":"Browser","correlationId":"d79f5bee-5860-4832-928f-3133e22ae912","conditionalAccessStatus":"notApplied","isInteractive":true,"riskDetail":"none","riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none","riskEventTypes":[],"riskEventTypes_v2":[],"resourceDisplayName":"Microsoft Graph","resourceId":"00000003-0000-0000-c000-000000000000","status":{"errorCode":0,"failureReason":"Other.","additionalDetails":null},"deviceDetail":{"deviceId":"","displayName":null,"operatingSystem":"Windows 10","browser":"Edge 80.0.361","isCompliant":null,"isManaged":null,"trustType":null},"location":{"city":"Redmond","state":"Washington","countryOrRegion":"US","geoCoordinates":{"altitude":null,"latitude":47.68050003051758,"longitude":-122.12094116210938}},"appliedConditionalAccessPolicies":[]}`

	// Microsoft Graph GET /auditLogs/directoryAudits item: a member added to
	// a group by an application.
	graphAudit = `{"id":"Directory_ce3dd6a2-1c4b-4e5b-9c2f-0d5e0c9a1b2c_AAAA1_1234","category":"GroupManagement","correlationId":"da159bfb-54fa-4092-8a38-6e1fa7870e30","result":"success","resultReason":"","activityDisplayName":"Add member to group","activityDateTime":"2024-01-17T18:13:39.2355542Z","loggedByService":"Core Directory","operationType":"Assign","initiatedBy":{"app":{"appId":null,"displayName":"Provisioning Service","servicePrincipalId":"a9f4f3e6-1e2d-4c5b-8a7f-6e5d4c3b2a10","servicePrincipalName":null},"user":null},"targetResources":[{"id":"ef7e527d-6c92-4234-8c6d-cf6fdfb57f95","displayName":null,"type":"User","userPrincipalName":"bob@contoso.com","groupType":null,"modifiedProperties":[{"displayName":"Group.ObjectID","oldValue":null,"newValue":"\"0c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f\""},{"displayName":"Group.DisplayName","oldValue":null,"newValue":"\"Finance Admins\""}]},{"id":"0c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f","displayName":null,"type":"Group","modifiedProperties":[]}],"additionalDetails":[]}`

	// A diagnostic-settings audit record: a password reset by an admin.
	auditPasswordReset = `{"time":"2024-05-02T11:00:00.1234567Z","resourceId":"/tenants/4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99/providers/Microsoft.aadiam","operationName":"Reset user password","operationVersion":"1.0","category":"AuditLogs","tenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","resultSignature":"None","durationMs":0,"correlationId":"c3","Level":4,"properties":{"id":"Directory_c3_1","category":"UserManagement","correlationId":"c3","result":"failure","resultReason":"Password does not meet complexity requirements","activityDisplayName":"Reset user password","activityDateTime":"2024-05-02T11:00:00.1234567+00:00","loggedByService":"Core Directory","operationType":"Update","initiatedBy":{"user":{"id":"u1","displayName":null,"userPrincipalName":"helpdesk@contoso.com","ipAddress":"192.0.2.44","roles":[]}},"targetResources":[{"id":"u2","displayName":"Bob","type":"User","userPrincipalName":"bob@contoso.com","modifiedProperties":[]}],"additionalDetails":[{"key":"User-Agent","value":"Mozilla/5.0"}]}}`

	// An AD FS sign-in (Entra Connect Health), times as AD FS writes them.
	signInADFS = `{"time":"3/14/2024 10:05:33 AM","resourceId":"/tenants/4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"ADFSSignInLogs","tenantId":"4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99","resultType":"0","callerIpAddress":"203.0.113.8","correlationId":"c7","properties":{"id":"a1","createdDateTime":"3/14/2024 10:05:31 AM","userPrincipalName":"gina@contoso.com","userDisplayName":"Gina","appDisplayName":"Microsoft Office 365 Identity Platform","ipAddress":"203.0.113.8","status":{"errorCode":0},"tokenIssuerType":"ADFederationServices","tokenIssuerName":"AD FS","authenticationRequirement":"singleFactorAuthentication","userAgent":"Mozilla/5.0","authenticationProtocol":"WsFederation"}}`

	// A sign-in of one of Microsoft's own service principals; the caller's
	// network only, as a CIDR; the tenant only in the resource id.
	signInMicrosoftSP = `{"time":"2024-05-02T12:00:00.0000000Z","resourceId":"/TENANTS/4A0C9B1E-0D2C-4B7E-9F45-2E6D3C1B0A99/PROVIDERS/MICROSOFT.AADIAM","operationName":"Sign-in activity","category":"MicrosoftServicePrincipalSignInLogs","resultType":"0","callerIpAddress":"20.190.128.0/18","correlationId":"c8","properties":{"id":"m1","createdDateTime":"2024-05-02T11:59:59Z","appId":"00000003-0000-0000-c000-000000000000","servicePrincipalId":"1b2c3d4e-aaaa-4bbb-8ccc-0d1e2f3a4b5c","servicePrincipalName":"Microsoft Graph","resourceDisplayName":"Office 365 Exchange Online","ipAddress":"20.190.128.0/18","status":{"errorCode":0},"isInteractive":false}}`

	// An admin registering a phone for a user (authentication methods).
	auditSecurityInfo = `{"time":"2024-05-02T12:00:00Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Admin registered security info","category":"AuditLogs","tenantId":"t","correlationId":"c4","properties":{"id":"UserManagement_c4","category":"UserManagement","result":"success","activityDisplayName":"Admin registered security info","activityDateTime":"2024-05-02T12:00:00Z","loggedByService":"Authentication Methods","initiatedBy":{"user":{"userPrincipalName":"admin@contoso.com","ipAddress":"192.0.2.45"}},"targetResources":[{"displayName":"Carol","type":"User","userPrincipalName":"carol@contoso.com"}]}}`

	// A provisioning record (Graph provisioningObjectSummary) in the
	// diagnostic-settings form.
	provisioningRecord = `{"time":"2024-05-02T13:00:00Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Provisioning activity","category":"ProvisioningLogs","tenantId":"t","resultType":"Success","correlationId":"c5","properties":{"id":"p-1","activityDateTime":"2024-05-02T13:00:00Z","jobId":"scim.x.y","cycleId":"cy1","changeId":"ch1","provisioningAction":"create","provisioningStatusInfo":{"status":"success","errorInformation":null},"initiatedBy":{"id":"","displayName":"Azure AD Provisioning Service","initiatorType":"system"},"sourceIdentity":{"id":"u9","displayName":"Erin","identityType":"User"},"targetIdentity":{"id":"e9","displayName":"erin@saas.example","identityType":"urn:ietf:params:scim:schemas:core:2.0:User"},"servicePrincipal":{"id":"sp9","displayName":"SaaS App"}}}`

	// A Log Analytics SigninLogs row (capitalized columns).
	logAnalyticsSignIn = `{"TenantId":"t","SourceSystem":"Azure AD","TimeGenerated":"2024-05-02T14:00:00Z","OperationName":"Sign-in activity","Category":"SignInLogs","ResultType":"50126","ResultDescription":"Invalid username or password or Invalid on-premise username or password.","AppDisplayName":"Office 365 Exchange Online","AuthenticationRequirement":"singleFactorAuthentication","ClientAppUsed":"IMAP4","IPAddress":"192.0.2.77","IsInteractive":true,"LocationDetails":{"city":"Oslo","countryOrRegion":"NO"},"Status":{"errorCode":50126},"UserPrincipalName":"frank@contoso.com","UserAgent":"python-imaplib","Type":"SigninLogs"}`
)

func TestParse(t *testing.T) {
	f := azuresignin.New()
	cases := []struct {
		name   string
		record string
		want   map[string]string
	}{
		{"sign-in with mfa", signInMFA, map[string]string{
			"dataset": "Authentication", "action": "login", "status": "success", "event_name": "Sign-in activity",
			"src_ip": "198.51.100.23", "src_user": "dana@contoso.com", "user_type": "User", "account": "4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99",
			"region": "DE", "dest": "Azure Portal", "event_id": "9a4b5c6d-1e2f-4a3b-8c7d-6e5f4a3b2c1d", "mfa_auth": "true",
			"identity_provider": "Entra ID", "time": "2024-05-02T08:12:57.2345678Z", "tags": "SignInLogs,Browser,interactive",
			"http_user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
			"msg":             "", "vendor": "azure", "vendor_product": "Microsoft Entra ID sign-in logs",
		}},
		{"federated guest failing", signInFederatedGuest, map[string]string{
			"status": "failure", "msg": "Strong Authentication is required.", "mfa_auth": "false",
			"identity_provider": "https://sts.fabrikam.com/adfs/services/trust", "user_type": "User",
			"tags": "SignInLogs,cross-tenant,cross-tenant:b2bCollaboration,interactive,risk:medium,guest",
		}},
		{"managed identity", signInManagedIdentity, map[string]string{
			"user_type": "ManagedIdentity", "src_user": "vm-web-01", "dest": "Azure Key Vault", "status": "success", "mfa_auth": "",
			"tags": "ManagedIdentitySignInLogs,non-interactive",
		}},
		{"graph sign-in", graphSignIn, map[string]string{
			"dataset": "Authentication", "action": "login", "status": "success", "msg": "", "event_name": "Sign-in activity",
			"src_ip": "131.107.159.37", "src_user": "testaccount1@contoso.com", "user_type": "User", "region": "US",
			"dest": "Graph Explorer", "event_id": "66ea54eb-6301-4ee5-be62-ff5a759b0100", "time": "2024-03-13T19:15:41.6195833Z",
			"tags": "Browser,interactive",
		}},
		{"graph directory audit", graphAudit, map[string]string{
			"dataset": "Security", "action": "attach", "status": "success", "event_name": "Add member to group",
			"src_user": "Provisioning Service", "user_type": "ServicePrincipal", "dest": "bob@contoso.com",
			"group_name": "Finance Admins", "time": "2024-01-17T18:13:39.2355542Z", "tags": "GroupManagement,Core Directory",
			"vendor_product": "Microsoft Entra ID audit logs",
		}},
		{"password reset", auditPasswordReset, map[string]string{
			"dataset": "Security", "action": "modify", "status": "failure", "msg": "Password does not meet complexity requirements",
			"src_user": "helpdesk@contoso.com", "src_ip": "192.0.2.44", "dest": "bob@contoso.com", "http_user_agent": "Mozilla/5.0",
			"event_id": "Directory_c3_1", "tags": "AuditLogs,UserManagement,Core Directory",
		}},
		{"security info", auditSecurityInfo, map[string]string{
			"dataset": "Authentication", "action": "create", "status": "success", "dest": "carol@contoso.com", "src_user": "admin@contoso.com",
		}},
		{"provisioning", provisioningRecord, map[string]string{
			"dataset": "Security", "action": "create", "status": "success", "event_name": "Provisioning activity",
			"src_user": "Azure AD Provisioning Service", "user_type": "System", "dest": "erin@saas.example",
			"vendor_product": "Microsoft Entra ID provisioning logs",
		}},
		{"log analytics row", logAnalyticsSignIn, map[string]string{
			"dataset": "Authentication", "action": "login", "status": "failure", "src_ip": "192.0.2.77", "src_user": "frank@contoso.com",
			"region": "NO", "mfa_auth": "false", "dest": "Office 365 Exchange Online", "msg": "Invalid username or password or Invalid on-premise username or password.",
			"time": "2024-05-02T14:00:00Z", "account": "t", "tags": "SignInLogs,IMAP4,interactive", "user_type": "User",
		}},
		{"AD FS sign-in", signInADFS, map[string]string{
			"dataset": "Authentication", "status": "success", "time": "2024-03-14T10:05:31Z", "src_user": "gina@contoso.com",
			"src_user_name": "gina@contoso.com", "identity_provider": "AD FS", "user_type": "User", "mfa_auth": "false",
		}},
		{"Microsoft service principal sign-in, CIDR caller", signInMicrosoftSP, map[string]string{
			"dataset": "Authentication", "action": "login", "user_type": "ServicePrincipal", "src_user": "Microsoft Graph", "src_user_name": "Microsoft Graph",
			"src": "20.190.128.0/18", "src_ip": "", "account": "4A0C9B1E-0D2C-4B7E-9F45-2E6D3C1B0A99", "tags": "MicrosoftServicePrincipalSignInLogs,non-interactive",
		}},
		{"src_user_name of a user sign-in", signInMFA, map[string]string{"src_user_name": "dana@contoso.com"}},
		{"src_user_name of an audit record's app", graphAudit, map[string]string{"src_user_name": "Provisioning Service"}},
		{"src_user_name of an audit record's user", auditPasswordReset, map[string]string{"src_user_name": "helpdesk@contoso.com"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := sourcetest.MustParse(t, f, c.record)
			if len(evs) != 1 {
				t.Fatalf("got %d events", len(evs))
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

// TestCorpusRecords checks concrete corpus records: lower-case keys, a
// service principal's credential, the PIM role grant.
func TestCorpusRecords(t *testing.T) {
	lines := sourcetest.Lines(t, sourcetest.Corpus(t, corpus))
	f := azuresignin.New()
	want := map[int]map[string]string{
		// lower-case envelope keys, a service principal with a credential
		13: {"user_type": "ServicePrincipal", "src_user": "very-normal-service-principal", "credential_id": "2afc776a-4e79-4588-b2ad-f62c94d6bea8",
			"status": "success", "account": "85e54ec3-85ee-4b03-9e3b-863075eb9b62", "src_ip": "12.12.12.12", "event_id": "55270060-d8fe-435e-9bf2-219a1d456b60"},
		12: {"status": "failure", "msg": "error 7000215", "tags": "ServicePrincipalSignInLogs,non-interactive,risk:low"},
		9:  {"status": "failure", "mfa_auth": "false", "region": "RU"},
		41: {"dataset": "Security", "action": "grant", "role": "Application Administrator", "src_user": "Radahn@Starscourge.onmicrosoft.com"},
		8:  {"dataset": "Security", "action": "revoke", "role": "Reader", "dest": "former@company.com"},
		5:  {"dataset": "Authentication", "action": "modify", "event_name": "Set federation settings on domain"},
		44: {"dataset": "Security", "action": "create", "dest": "Production API Service"},
		21: {"status": "failure", "action": "create"},
	}
	for line, w := range want {
		evs := sourcetest.MustParse(t, f, string(lines[line-1]))
		sourcetest.Expect(t, evs[0], w)
	}
}

func TestParseErrors(t *testing.T) {
	f := azuresignin.New()
	for _, rec := range []string{`[1]`, `{}`, `{"category":"Administrative","operationName":"x/write"}`} {
		evs, err := sourcetest.Parse(f, []byte(rec))
		if err == nil || len(evs) != 0 {
			t.Errorf("%s: want an error and no event, got %v, %d events", rec, err, len(evs))
		}
	}
}

func TestDetect(t *testing.T) {
	f := azuresignin.New()
	yes := []string{signInMFA, graphSignIn, graphAudit, auditPasswordReset, provisioningRecord, logAnalyticsSignIn,
		`{"category":"NonInteractiveUserSignInLogs"}`, `{"CATEGORY":"auditlogs"}`,
		`{"category":"Policy","operationName":"Update policy","properties":{"initiatedBy":{},"activityDisplayName":"Update policy"}}`,
	}
	no := []string{
		// activity log records, including the categories both logs use
		`{"category":"Policy","operationName":"MICROSOFT.AUTHORIZATION/POLICIES/AUDIT/ACTION","resourceId":"/subscriptions/s","properties":{"eventCategory":"Policy","policies":"[]"}}`,
		`{"category":"Administrative","operationName":"microsoft.aadiam/diagnosticSettings/write","resourceId":"/providers/microsoft.aadiam/diagnosticSettings/x"}`,
		`{"category":"kube-audit","properties":{"log":"{}"}}`,
		`{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com"}`,
		`{"createdDateTime":"2024-01-01T00:00:00Z"}`,
	}
	for _, s := range yes {
		if !f.Detect(fastjson.MustParse(s)) {
			t.Errorf("Detect rejects %.120s", s)
		}
	}
	for _, s := range no {
		if f.Detect(fastjson.MustParse(s)) {
			t.Errorf("Detect accepts %.120s", s)
		}
	}
}

// TestCorpus: every corpus record parses with the format forced, and
// detection among all formats gives at least 95% of them to azure-signin.
func TestCorpus(t *testing.T) {
	path := sourcetest.Corpus(t, corpus)
	f := azuresignin.New()
	lines := sourcetest.Lines(t, path)
	for i, l := range lines {
		evs, err := sourcetest.Parse(f, l)
		if err != nil || len(evs) == 0 {
			t.Errorf("line %d: %v (%d events)", i+1, err, len(evs))
			continue
		}
		if e := evs[0]; e.Dataset == "" || e.Action == "" || e.Status == "" {
			t.Errorf("line %d: dataset %q action %q status %q", i+1, e.Dataset, e.Action, e.Status)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, st := sourcetest.ReadAll(path, data, components.Formats(), nil)
	got := st.ByFormat[azuresignin.Name]
	pct := 100 * float64(got) / float64(len(lines))
	t.Logf("detection: %d of %d records (%.1f%%) read as %s; by format %v", got, len(lines), pct, azuresignin.Name, st.ByFormat)
	if pct < 95 {
		t.Errorf("only %.1f%% detected as %s", pct, azuresignin.Name)
	}
}

// TestActivityCorpusNotTaken: no Azure activity-log record is taken by
// azure-signin, which comes before azure-activity in detection order.
func TestActivityCorpusNotTaken(t *testing.T) {
	f := azuresignin.New()
	for _, rel := range []string{"azure/activity/panther-tests.jsonl", "azure/aks/panther-tests.jsonl"} {
		for i, l := range sourcetest.Lines(t, sourcetest.Corpus(t, rel)) {
			if f.Detect(fastjson.MustParseBytes(l)) {
				t.Errorf("%s line %d: taken by %s", rel, i+1, azuresignin.Name)
			}
		}
	}
}

func BenchmarkParse(b *testing.B) {
	f := azuresignin.New()
	rec := []byte(signInMFA)
	var p fastjson.Parser
	v, err := p.ParseBytes(rec)
	if err != nil {
		b.Fatal(err)
	}
	r := &source.Record{JSON: v, Text: rec}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Parse(r, func(*event.Event) {}); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	p := sourcetest.Root() + "/../shared/corpus/" + corpus
	if _, err := os.Stat(p); err == nil {
		for _, l := range sourcetest.Lines(f, p) {
			f.Add(l)
		}
	}
	for _, s := range []string{signInMFA, signInFederatedGuest, signInManagedIdentity, graphSignIn, graphAudit, auditPasswordReset, auditSecurityInfo, provisioningRecord, logAnalyticsSignIn, signInADFS, signInMicrosoftSP} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, azuresignin.New(), components.Formats(), data)
	})
}
