package azureactivity_test

import (
	"os"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/azureactivity"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

const corpus = "azure/activity/panther-tests.jsonl"

// diag builds a diagnostic-settings Administrative record for an operation
// on a resource, with a user's token claims.
func diag(op, resource, resultType, extra string) string {
	return `{"time":"2024-03-05T10:11:12.1234567Z","resourceId":"/SUBSCRIPTIONS/0b1f6471-1bf0-4dda-aec3-cb9272f09590/RESOURCEGROUPS/PROD-RG/PROVIDERS/` + resource + `",` +
		`"operationName":"` + op + `","category":"Administrative","resultType":"` + resultType + `","resultSignature":"Succeeded.OK",` +
		`"durationMs":"1203","callerIpAddress":"203.0.113.7","correlationId":"6f1c2a7e-6a2b-4f4e-9d59-2f0b8f5a1c11",` +
		`"identity":{"authorization":{"scope":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/prod-rg","action":"` + op + `",` +
		`"evidence":{"role":"Contributor","roleAssignmentScope":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590","principalType":"User"}},` +
		`"claims":{"aud":"https://management.core.windows.net/","appid":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","ipaddr":"203.0.113.7","name":"Alice Admin",` +
		`"http://schemas.microsoft.com/claims/authnmethodsreferences":"pwd,mfa",` +
		`"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"alice@contoso.com",` +
		`"http://schemas.microsoft.com/identity/claims/objectidentifier":"2468adf0-8211-44e3-95f0-85137af64708"}},` +
		`"level":"Information","location":"global","properties":{"serviceRequestId":"50d5cddb-8ca0-47ad-9b80-6cde2207f97c"` + extra + `}}`
}

const vm = "MICROSOFT.COMPUTE/VIRTUALMACHINES/web-01"

func TestParse(t *testing.T) {
	f := azureactivity.New()
	cases := []struct {
		name   string
		record string
		want   map[string]string
	}{
		{"vm start", diag("Microsoft.Compute/virtualMachines/start/action", vm, "Success", ""), map[string]string{
			"dataset": "Compute", "action": "start", "instance_id": "web-01", "status": "success",
			"event_name": "Microsoft.Compute/virtualMachines/start/action", "account": "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
			"src_ip": "203.0.113.7", "src_user": "alice@contoso.com", "user_type": "User", "mfa_auth": "true",
			"region": "global", "event_id": "6f1c2a7e-6a2b-4f4e-9d59-2f0b8f5a1c11", "tags": "Administrative,Success",
			"vendor": "azure", "time": "2024-03-05T10:11:12.1234567Z",
		}},
		{"vm start upper case", diag("MICROSOFT.COMPUTE/VIRTUALMACHINES/START/ACTION", vm, "Success", ""), map[string]string{
			"dataset": "Compute", "action": "start", "instance_id": "web-01",
		}},
		{"vm deallocate", diag("Microsoft.Compute/virtualMachines/deallocate/action", vm, "Success", ""), map[string]string{"dataset": "Compute", "action": "stop"}},
		{"vm power off", diag("Microsoft.Compute/virtualMachines/powerOff/action", vm, "Success", ""), map[string]string{"dataset": "Compute", "action": "stop"}},
		{"vm restart", diag("Microsoft.Compute/virtualMachines/restart/action", vm, "Success", ""), map[string]string{"dataset": "Compute", "action": "start"}},
		{"vm run command", diag("Microsoft.Compute/virtualMachines/runCommand/action", vm, "Success", ""), map[string]string{"dataset": "Compute", "action": "run", "instance_id": "web-01"}},
		{"vm update", diag("Microsoft.Compute/virtualMachines/write", vm, "Success", ""), map[string]string{"dataset": "Compute", "action": "modify"}},
		{"vm delete", diag("Microsoft.Compute/virtualMachines/delete", vm, "Success", ""), map[string]string{"dataset": "Compute", "action": "delete"}},
		{"vm extension", diag("Microsoft.Compute/virtualMachines/extensions/write", vm+"/extensions/CustomScript", "Success", ""), map[string]string{"dataset": "Compute", "action": "modify", "instance_id": "web-01"}},
		{"write intermediate stage", diag("Microsoft.Compute/virtualMachines/write", vm, "Start", ""), map[string]string{
			"status": "success", "tags": "Administrative,Start,in-progress",
		}},
		{"failure", diag("Microsoft.Compute/virtualMachines/delete", vm, "Failure", `,"statusMessage":"{\"error\":{\"code\":\"AuthorizationFailed\"}}"`), map[string]string{
			"status": "failure", "msg": `{"error":{"code":"AuthorizationFailed"}}`,
		}},
		{"storage list keys", diag("Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.Storage/storageAccounts/proddata", "Success", ""), map[string]string{
			"dataset": "Storage", "action": "get", "bucket_name": "proddata", "tags": "Administrative,Success,access-keys",
		}},
		{"storage container", diag("Microsoft.Storage/storageAccounts/blobServices/containers/write", "Microsoft.Storage/storageAccounts/proddata/blobServices/default/containers/backups", "Success", `,"statusCode":"Created"`), map[string]string{
			"dataset": "Storage", "action": "create", "bucket_name": "proddata", "object_path": "backups",
		}},
		{"role assignment", diag("Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/9f2b3d2c-6c4c-4d43-9b5c-2bde1b2fe2d1", "Success", ""), map[string]string{
			"dataset": "Security", "action": "grant",
		}},
		{"role assignment removed", diag("Microsoft.Authorization/roleAssignments/delete", "Microsoft.Authorization/roleAssignments/9f2b3d2c-6c4c-4d43-9b5c-2bde1b2fe2d1", "Success", ""), map[string]string{
			"dataset": "Security", "action": "revoke",
		}},
		{"nsg rule", diag("Microsoft.Network/networkSecurityGroups/securityRules/write", "Microsoft.Network/networkSecurityGroups/web-nsg/securityRules/allow-ssh", "Success", ""), map[string]string{
			"dataset": "Security", "action": "modify",
		}},
		{"key vault secret", diag("Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/kv1/secrets/db", "Success", ""), map[string]string{"dataset": "Security", "action": "get"}},
		{"lock on a storage account", diag("Microsoft.Authorization/locks/delete", "Microsoft.Storage/storageAccounts/proddata/providers/Microsoft.Authorization/locks/DoNotDelete", "Success", ""), map[string]string{
			"dataset": "Security", "action": "delete", "bucket_name": "",
		}},
		{"diagnostic setting of an nsg", diag("Microsoft.Network/networkSecurityGroups/providers/Microsoft.Insights/diagnosticSettings/delete", "Microsoft.Network/networkSecurityGroups/web-nsg/providers/microsoft.insights/diagnosticSettings/toLA", "Success", ""), map[string]string{
			"dataset": "Management", "action": "delete",
		}},
		{"virtual network", diag("Microsoft.Network/virtualNetworks/write", "Microsoft.Network/virtualNetworks/vnet1", "Success", ""), map[string]string{"dataset": "Management", "action": "modify"}},
		{"sql", diag("Microsoft.Sql/servers/databases/delete", "Microsoft.Sql/servers/sql1/databases/orders", "Success", ""), map[string]string{"dataset": "Database", "action": "delete"}},
		{"postgres", diag("Microsoft.DBforPostgreSQL/flexibleServers/write", "Microsoft.DBforPostgreSQL/flexibleServers/pg1", "Success", ""), map[string]string{"dataset": "Database"}},
		{"aks credentials", diag("Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", "Microsoft.ContainerService/managedClusters/aks-prod", "Success", ""), map[string]string{
			"dataset": "Container", "action": "get", "cluster": "aks-prod",
		}},
		{"acr import", diag("Microsoft.ContainerRegistry/registries/importImage/action", "Microsoft.ContainerRegistry/registries/ContosoRegistry", "Success", ""), map[string]string{
			"dataset": "Container", "action": "push", "registry": "contosoregistry.azurecr.io",
		}},
		{"container instance exec", diag("Microsoft.ContainerInstance/containerGroups/containers/exec/action", "Microsoft.ContainerInstance/containerGroups/cg1/containers/app", "Success", ""), map[string]string{
			"dataset": "Container", "action": "exec",
		}},
		{"managed identity", `{"time":"2024-03-05T10:11:12Z","resourceId":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1","operationName":"MICROSOFT.KEYVAULT/VAULTS/WRITE","category":"Administrative","resultType":"Success","callerIpAddress":"10.0.0.4","identity":{"claims":{"appid":"5a1e4f0e-3d2b-4c1a-9f8e-7d6c5b4a3f2e","idtyp":"app","xms_mirid":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deployer"}}}`, map[string]string{
			"user_type": "ManagedIdentity", "src_user": "5a1e4f0e-3d2b-4c1a-9f8e-7d6c5b4a3f2e", "dataset": "Security", "action": "modify",
		}},
		{"service principal", `{"time":"2024-03-05T10:11:12Z","resourceId":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1","operationName":"Microsoft.Storage/storageAccounts/delete","category":"Administrative","resultType":"Accept","identity":{"claims":{"appid":"5a1e4f0e-3d2b-4c1a-9f8e-7d6c5b4a3f2e"}}}`, map[string]string{
			"user_type": "ServicePrincipal", "dataset": "Storage", "action": "delete", "status": "success", "tags": "Administrative,Accept,in-progress", "account": "s1",
		}},
		{"rest export", `{"authorization":{"action":"Microsoft.Compute/virtualMachines/start/action","scope":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm7"},"caller":"bob@contoso.com","channels":"Operation","claims":{"appid":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","name":"Bob","http://schemas.microsoft.com/claims/authnmethodsreferences":"pwd"},"correlationId":"b5768deb-836b-41cc-803e-3f4de2f9e40b","eventDataId":"d0d36f97-b29c-4cd9-9d3d-ea2b92af3e9d","eventName":{"value":"EndRequest","localizedValue":"End request"},"category":{"value":"Administrative","localizedValue":"Administrative"},"eventTimestamp":"2018-01-29T20:42:31.3810679Z","httpRequest":{"clientRequestId":"x","clientIpAddress":"198.51.100.9","method":"POST"},"level":"Informational","operationName":{"value":"Microsoft.Compute/virtualMachines/start/action","localizedValue":"Start Virtual Machine"},"resourceGroupName":"rg","resourceProviderName":{"value":"Microsoft.Compute","localizedValue":"Microsoft.Compute"},"resourceId":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm7","status":{"value":"Succeeded","localizedValue":"Succeeded"},"subStatus":{"value":"","localizedValue":""},"submissionTimestamp":"2018-01-29T20:42:50.0724829Z","subscriptionId":"0b1f6471-1bf0-4dda-aec3-cb9272f09590","properties":{"statusCode":"OK"},"relatedEvents":[]}`, map[string]string{
			"dataset": "Compute", "action": "start", "instance_id": "vm7", "src_user": "bob@contoso.com", "user_type": "User", "mfa_auth": "false",
			"src_ip": "198.51.100.9", "event_id": "d0d36f97-b29c-4cd9-9d3d-ea2b92af3e9d", "status": "success", "account": "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
			"time": "2018-01-29T20:42:31.3810679Z", "tags": "Administrative,Succeeded,EndRequest", "event_name": "Microsoft.Compute/virtualMachines/start/action",
		}},
		{"lower-case keys", `{"time":"2024-03-05T10:11:12Z","resourceid":"/subscriptions/s2/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm9","operationname":"microsoft.compute/virtualmachines/start/action","category":"Administrative","resulttype":"Failure","calleripaddress":"192.0.2.1","correlationid":"c1"}`, map[string]string{
			"dataset": "Compute", "action": "start", "instance_id": "vm9", "status": "failure", "account": "s2", "src_ip": "192.0.2.1", "event_id": "c1",
		}},
		{"storage resource log", `{"time":"2024-03-05T10:11:12.4711000Z","resourceId":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/proddata/blobServices/default","category":"StorageRead","operationName":"GetBlob","operationVersion":"2021-08-06","schemaVersion":"1.0","statusCode":200,"statusText":"Success","durationMs":12,"callerIpAddress":"198.51.100.20:52044","correlationId":"a0b1c2d3-e4f5-0017-1234-56789abcdef0","identity":{"type":"OAuth","tokenHash":"A1B2C3","authorization":[{"action":"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read","roleAssignmentId":"r1","principals":[{"id":"p1","type":"User"}],"denyAssignmentId":"","type":"RBAC","result":"Granted"}],"requester":{"appId":"691458b9-1327-4635-9f55-ed83a7f1b41c","audience":"https://storage.azure.com/","objectId":"p1","tenantId":"t1","tokenIssuer":"https://sts.windows.net/t1/","upn":"carol@contoso.com"}},"location":"westeurope","properties":{"accountName":"proddata","userAgentHeader":"Azure-Storage/12.0 (.NET)","serviceType":"blob","objectKey":"/proddata/backups/2024/db.bak","metricResponseType":"Success","serverLatencyMs":8,"requestHeaderSize":1200,"responseHeaderSize":350,"responseBodySize":1048576,"tlsVersion":"TLS 1.2"},"uri":"https://proddata.blob.core.windows.net/backups/2024/db.bak?sig=secret","protocol":"HTTPS","resourceType":"Microsoft.Storage/storageAccounts/blobServices"}`, map[string]string{
			"dataset": "Storage", "action": "get", "bucket_name": "proddata", "object_path": "backups/2024/db.bak", "src_ip": "198.51.100.20",
			"src_user": "carol@contoso.com", "user_type": "User", "status": "success", "http_user_agent": "Azure-Storage/12.0 (.NET)",
			"credential_id": "A1B2C3", "tags": "StorageRead", "region": "westeurope",
		}},
		{"storage log without resource id", `{"time":"2025-01-28T16:00:00Z","category":"StorageDelete","operationName":"DeleteBlob","callerIpAddress":"[2001:db8::5]:443","statusCode":403,"uri":"https://proddata.blob.core.windows.net/financial/records.xlsx?sv=2021-12-02&sig=SIG","properties":{"accountName":"proddata","objectKey":"/proddata/financial/records.xlsx"}}`, map[string]string{
			"dataset": "Storage", "action": "delete", "status": "failure", "dest": "https://proddata.blob.core.windows.net/financial/records.xlsx", "src_ip": "2001:db8::5",
		}},
		{"tenant-level resource, CIDR caller", `{"time":"2024-03-05T10:20:00Z","resourceId":"/Tenants/4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99/providers/Microsoft.aadiam/diagnosticSettings/to-sentinel","operationName":"Microsoft.aadiam/diagnosticSettings/write","category":"Administrative","resultType":"Success","callerIpAddress":"198.51.100.0/24","correlationId":"c9","identity":{"claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"gadmin@contoso.com","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"Global Admin"}},"level":"Information","location":"global","properties":{}}`, map[string]string{
			"account": "4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99", "src": "198.51.100.0/24", "src_ip": "", "src_user": "gadmin@contoso.com", "src_user_name": "gadmin@contoso.com", "status": "success",
		}},
		{"src_user_name from the upn claim", diag("Microsoft.Compute/virtualMachines/start/action", vm, "Success", ""), map[string]string{"src_user_name": "alice@contoso.com"}},
		{"no src_user_name from a display name", `{"time":"2024-03-05T10:11:12Z","operationName":"Microsoft.Compute/virtualMachines/write","category":"Administrative","identity":{"claims":{"name":"Build Agent"}}}`, map[string]string{"src_user": "Build Agent", "src_user_name": ""}},
		{"fragment", `{"operationName":"Microsoft.Compute/virtualMachines/write"}`, map[string]string{"dataset": "Compute", "action": "modify", "status": ""}},
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

// TestCreated: a write answered with 201 Created is a create.
func TestCreated(t *testing.T) {
	for _, extra := range []string{`,"statusCode":"Created"`} {
		evs := sourcetest.MustParse(t, azureactivity.New(), diag("Microsoft.Compute/virtualMachines/write", vm, "Success", extra))
		sourcetest.Expect(t, evs[0], map[string]string{"action": "create"})
	}
	rec := strings.Replace(diag("Microsoft.Compute/virtualMachines/write", vm, "Success", ""), "Succeeded.OK", "Succeeded.Created", 1)
	sourcetest.Expect(t, sourcetest.MustParse(t, azureactivity.New(), rec)[0], map[string]string{"action": "create"})
}

func TestParseErrors(t *testing.T) {
	f := azureactivity.New()
	for _, rec := range []string{`[1,2]`, `"x"`, `{}`, `{"foo":1}`} {
		evs, err := sourcetest.Parse(f, []byte(rec))
		if err == nil || len(evs) != 0 {
			t.Errorf("%s: want an error and no event, got %v, %d events", rec, err, len(evs))
		}
	}
}

func TestDetect(t *testing.T) {
	f := azureactivity.New()
	yes := []string{
		diag("Microsoft.Compute/virtualMachines/start/action", vm, "Success", ""),
		`{"operationName":{"value":"Microsoft.Compute/virtualMachines/write"},"resourceId":"/subscriptions/s"}`,
		`{"operationname":"x/write","resourceid":"/subscriptions/s"}`,
		`{"operationName":"GetBlob","category":"StorageRead"}`,
	}
	no := []string{
		`{"category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","resourceId":"/subscriptions/x","properties":{"log":"{}"}}`,
		`{"category":"kube-audit-admin","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{"log":"{}"}}`,
		`{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com"}`,
		`{"operationName":"x"}`,
		`{"operationName":5,"resourceId":"/subscriptions/s"}`,
		`{"resourceId":"/subscriptions/s","category":"Administrative"}`,
	}
	for _, s := range yes {
		if !f.Detect(fastjson.MustParse(s)) {
			t.Errorf("Detect rejects %s", s)
		}
	}
	for _, s := range no {
		if f.Detect(fastjson.MustParse(s)) {
			t.Errorf("Detect accepts %s", s)
		}
	}
}

// TestCorpus: every corpus record parses with the format forced, and
// detection among all formats gives at least 95% of them to azure-activity.
func TestCorpus(t *testing.T) {
	path := sourcetest.Corpus(t, corpus)
	f := azureactivity.New()
	lines := sourcetest.Lines(t, path)
	for i, l := range lines {
		evs, err := sourcetest.Parse(f, l)
		if err != nil || len(evs) == 0 {
			t.Errorf("line %d: %v (%d events)", i+1, err, len(evs))
			continue
		}
		if e := evs[0]; e.Dataset == "" || e.EventName == "" {
			t.Errorf("line %d: no dataset or event name", i+1)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, st := sourcetest.ReadAll(path, data, components.Formats(), nil)
	got := st.ByFormat[azureactivity.Name]
	pct := 100 * float64(got) / float64(len(lines))
	t.Logf("detection: %d of %d records (%.1f%%) read as %s; by format %v", got, len(lines), pct, azureactivity.Name, st.ByFormat)
	if pct < 95 {
		t.Errorf("only %.1f%% detected as %s", pct, azureactivity.Name)
	}
}

func FuzzParse(f *testing.F) {
	if path := corpusPath(); path != "" {
		for _, l := range sourcetest.Lines(f, path) {
			f.Add(l)
		}
	}
	f.Add([]byte(diag("Microsoft.Compute/virtualMachines/start/action", vm, "Success", "")))
	f.Add([]byte(`{"records":[{"operationName":"GetBlob","category":"StorageRead","callerIpAddress":"[::1]:80","resourceId":"/subscriptions/s/providers/Microsoft.Storage/storageAccounts/a/blobServices/default"}]}`))
	f.Add([]byte(`{"operationName":{"value":"Microsoft.Authorization/elevateAccess/action"},"status":{"value":"Started"},"claims":{"idtyp":"user"}}`))
	f.Add([]byte(`{"time":"2024-03-05T10:20:00Z","resourceId":"/Tenants/4a0c9b1e-0d2c-4b7e-9f45-2e6d3c1b0a99/providers/Microsoft.aadiam/diagnosticSettings/to-sentinel","operationName":"Microsoft.aadiam/diagnosticSettings/write","category":"Administrative","resultType":"Success","callerIpAddress":"198.51.100.0/24","correlationId":"c9","identity":{"claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"gadmin@contoso.com","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":"Global Admin"}},"level":"Information","location":"global","properties":{}}`))
	f.Add([]byte(`{"operationName":"x/y/write","resourceId":"/TENANTS//providers","callerIpAddress":"::/0","caller":"svc"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, azureactivity.New(), components.Formats(), data)
	})
}

// corpusPath returns the corpus file, or "" when the shared corpus is absent.
func corpusPath() string {
	p := sourcetest.Root() + "/../shared/corpus/" + corpus
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func BenchmarkParse(b *testing.B) {
	f := azureactivity.New()
	rec := []byte(diag("Microsoft.Compute/virtualMachines/start/action", vm, "Success", ""))
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
