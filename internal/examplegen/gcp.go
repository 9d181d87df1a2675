package main

import (
	"encoding/base64"
	"fmt"
	"sort"
	"time"
)

// gEntry is a LogEntry or a message with its time, for sorting.
type gEntry struct {
	t time.Time
	v any
}

type gcpGen struct {
	r                  *rng
	activity, data     []gEntry // project audit logs
	gkeAct, gkeData    []gEntry // GKE (k8s.io) audit logs
	pubsub             []gEntry
	implantOccurrences A
	gcrObjects         map[string]bool
}

// principal is who a GCP request ran as.
type principal struct {
	email string
	key   string // service account key id, when a key was used
	// delegation is the Kubernetes identity behind a Workload Identity call.
	delegation string
}

func (p principal) auth() M {
	m := M{"principalEmail": p.email}
	if p.key != "" {
		m["serviceAccountKeyName"] = "//iam.googleapis.com/projects/" + project + "/serviceAccounts/" + p.email + "/keys/" + p.key
	}
	if len(p.email) > 20 && p.email[len(p.email)-20:] == ".gserviceaccount.com" {
		m["principalSubject"] = "serviceAccount:" + p.email
	} else {
		m["principalSubject"] = "user:" + p.email
	}
	if p.delegation != "" {
		m["serviceAccountDelegationInfo"] = A{M{"principalSubject": p.delegation}}
	}
	return m
}

var (
	pCI         = principal{email: ciSA, key: ciSAKeyID}
	pCloudBuild = principal{email: cloudbuildSA}
	pCD         = principal{email: cdSA}
	pNode       = principal{email: nodeSA}
	pPayments   = principal{email: paymentsSA, delegation: "serviceAccount:" + project + ".svc.id.goog[payments/payments-api]"}
	pAlice      = principal{email: alice}
	pBob        = principal{email: bob}
	pScheduler  = principal{email: schedulerSA}
	pMIG        = principal{email: cloudservices}
)

func (g *gcpGen) insertID() string { return g.r.lower(12) }

// entry wraps an AuditLog payload into a LogEntry.
func (g *gcpGen) entry(kind string, t time.Time, res M, pp M, severity string, extra M) M {
	pp["@type"] = "type.googleapis.com/google.cloud.audit.AuditLog"
	e := M{
		"insertId":         g.insertID(),
		"logName":          "projects/" + project + "/logs/cloudaudit.googleapis.com%2F" + kind,
		"protoPayload":     pp,
		"receiveTimestamp": tsNano(t.Add(time.Duration(g.r.between(150, 1400)) * time.Millisecond).Add(g.r.nanos() / 1000)),
		"resource":         res,
		"severity":         severity,
		"timestamp":        tsNano(t),
	}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

func reqMeta(ip, ua string, t time.Time) M {
	m := M{"callerIp": ip, "requestAttributes": M{"time": tsNano(t), "auth": M{}}, "destinationAttributes": M{}}
	if ua != "" {
		m["callerSuppliedUserAgent"] = ua
	}
	return m
}

// gfe is what Google's front end appends to a caller's user agent.
func gfe(ua string) string { return ua + ",gzip(gfe)" }

// gcs records a Cloud Storage data access entry for one object.
func (g *gcpGen) gcs(t time.Time, method, bucket, object string, who principal, ip, ua string) {
	t = t.Add(g.r.nanos())
	name := "projects/_/buckets/" + bucket
	if object != "" {
		name += "/objects/" + object
	}
	authz := A{M{"granted": true, "permission": method, "resource": name, "resourceAttributes": M{}}}
	if method == "storage.objects.create" && g.gcrObjects[bucket+"/"+object] {
		// Overwriting an object needs delete as well.
		authz = append(authz, M{"granted": true, "permission": "storage.objects.delete", "resource": name, "resourceAttributes": M{}})
	}
	if method == "storage.objects.create" {
		g.gcrObjects[bucket+"/"+object] = true
	}
	loc := "us-central1"
	if bucket == gcrBucket {
		loc = "us"
	}
	pp := M{
		"authenticationInfo": who.auth(),
		"authorizationInfo":  authz,
		"methodName":         method,
		"requestMetadata":    reqMeta(ip, gfe(ua), t),
		"resourceLocation":   M{"currentLocations": []string{loc}},
		"resourceName":       name,
		"serviceName":        "storage.googleapis.com",
		"status":             M{},
	}
	if method == "storage.objects.list" {
		pp["resourceName"] = "projects/_/buckets/" + bucket
	}
	res := M{"type": "gcs_bucket", "labels": M{"bucket_name": bucket, "location": loc, "project_id": project}}
	g.data = append(g.data, gEntry{t, g.entry("data_access", t, res, pp, "INFO", nil)})
}

// getCluster is `gcloud container clusters get-credentials`.
func (g *gcpGen) getCluster(t time.Time, who principal, ip, ua string) {
	t = t.Add(g.r.nanos())
	name := "projects/" + project + "/locations/" + gkeLocation + "/clusters/" + gkeCluster
	pp := M{
		"authenticationInfo": who.auth(),
		"authorizationInfo":  A{M{"granted": true, "permission": "container.clusters.get", "resource": name, "resourceAttributes": M{}}},
		"methodName":         "google.container.v1.ClusterManager.GetCluster",
		"request":            M{"@type": "type.googleapis.com/google.container.v1.GetClusterRequest", "name": name},
		"requestMetadata":    reqMeta(ip, gfe(ua), t),
		"resourceName":       name,
		"serviceName":        "container.googleapis.com",
		"status":             M{},
	}
	res := M{"type": "gke_cluster", "labels": M{"cluster_name": gkeCluster, "location": gkeLocation, "project_id": project}}
	g.data = append(g.data, gEntry{t, g.entry("data_access", t, res, pp, "INFO", nil)})
}

// compute records a Compute Engine call on an instance. Writes are long
// running operations and log a first and a last entry.
func (g *gcpGen) compute(t time.Time, method, zone, instance, id string, who principal, ip, ua string, request M) {
	t = t.Add(g.r.nanos())
	verb := method[len("v1.compute.instances."):]
	res := M{"type": "gce_instance", "labels": M{"instance_id": id, "project_id": project, "zone": zone}}
	name := "projects/" + project + "/zones/" + zone + "/instances/" + instance
	perm := "compute.instances." + verb
	if verb == "list" || verb == "aggregatedList" {
		name = "projects/" + project + "/zones/" + zone + "/instances"
		perm = "compute.instances.list"
	}
	authz := A{M{"granted": true, "permission": perm, "resource": name, "resourceAttributes": M{"name": name, "service": "compute", "type": "compute.instances"}}}
	pp := M{
		"authenticationInfo": who.auth(),
		"authorizationInfo":  authz,
		"methodName":         method,
		"requestMetadata":    reqMeta(ip, ua, t),
		"resourceLocation":   M{"currentLocations": []string{zone}},
		"resourceName":       name,
		"serviceName":        "compute.googleapis.com",
	}
	if request != nil {
		request["@type"] = "type.googleapis.com/compute.instances." + verb
		pp["request"] = request
	} else {
		pp["request"] = M{"@type": "type.googleapis.com/compute.instances." + verb}
	}
	if verb == "list" || verb == "aggregatedList" {
		pp["numResponseItems"] = fmt.Sprint(g.r.between(4, 9))
		g.data = append(g.data, gEntry{t, g.entry("data_access", t, res, pp, "INFO", nil)})
		return
	}
	op := fmt.Sprintf("operation-%d-%s-%s-%s", t.UnixMilli(), g.r.hex(13), g.r.hex(8), g.r.hex(8))
	pp["response"] = M{"@type": "type.googleapis.com/operation", "id": g.r.digits(19), "insertTime": t.Format("2006-01-02T15:04:05.000-07:00"),
		"name": op, "operationType": verb, "progress": "0", "selfLink": "https://www.googleapis.com/compute/v1/projects/" + project + "/zones/" + zone + "/operations/" + op,
		"status": "RUNNING", "targetId": id, "targetLink": "https://www.googleapis.com/compute/v1/" + name, "user": who.email, "zone": "https://www.googleapis.com/compute/v1/projects/" + project + "/zones/" + zone}
	g.activity = append(g.activity, gEntry{t, g.entry("activity", t, res, pp, "NOTICE", M{"operation": M{"id": op, "producer": "compute.googleapis.com", "first": true}})})
	t2 := t.Add(g.r.secs(8, 40)).Add(g.r.nanos())
	last := M{
		"authenticationInfo": M{"principalEmail": who.email},
		"methodName":         method,
		"requestMetadata":    M{"callerIp": ip, "callerSuppliedUserAgent": ua, "requestAttributes": M{}, "destinationAttributes": M{}},
		"resourceName":       name,
		"serviceName":        "compute.googleapis.com",
		"request":            M{"@type": "type.googleapis.com/compute.instances." + verb},
	}
	g.activity = append(g.activity, gEntry{t2, g.entry("activity", t2, res, last, "NOTICE", M{"operation": M{"id": op, "producer": "compute.googleapis.com", "last": true}})})
}

// gcrPush is a docker push to gcr.io/acme-prod as Container Registry
// stores it: blob existence checks, new blobs under containers/images/,
// then the manifest and tag objects under containers/repositories/.
func (g *gcpGen) gcrPush(t time.Time, who principal, ip, ua string, im image, newLayers []layer, tags []string) time.Time {
	for _, l := range im.Layers {
		if !containsLayer(newLayers, l) {
			g.gcs(t, "storage.objects.get", gcrBucket, "containers/images/"+l.Digest, who, ip, ua)
			t = t.Add(g.r.secs(0, 1))
		}
	}
	for _, l := range append(append([]layer{}, newLayers...), im.Config) {
		t = t.Add(g.r.secs(2, 4+l.Size/3000000))
		g.gcs(t, "storage.objects.create", gcrBucket, "containers/images/"+l.Digest, who, ip, ua)
	}
	t = t.Add(g.r.secs(1, 2))
	g.gcs(t, "storage.objects.create", gcrBucket, "containers/repositories/library/"+im.Repo+"/manifest_"+im.Digest, who, ip, ua)
	for _, tag := range tags {
		t = t.Add(g.r.secs(0, 1))
		g.gcs(t, "storage.objects.create", gcrBucket, "containers/repositories/library/"+im.Repo+"/tag_"+tag, who, ip, ua)
	}
	return t
}

func containsLayer(ls []layer, l layer) bool {
	for _, x := range ls {
		if x.Digest == l.Digest {
			return true
		}
	}
	return false
}

// gkeNodes are the GKE nodes' addresses.
var gkeNodes = []string{"10.128.0.21", "10.128.0.22", "10.128.0.23"}

// nodePull is GKE nodes fetching an image's new blobs from GCR's bucket.
func (g *gcpGen) nodePull(t time.Time, nodes []string, blobs []layer) time.Time {
	for _, ip := range nodes {
		t = t.Add(g.r.secs(1, 6))
		for _, b := range blobs {
			g.gcs(t, "storage.objects.get", gcrBucket, "containers/images/"+b.Digest, pNode, ip, uaGKENode)
			t = t.Add(g.r.secs(0, 1))
		}
	}
	return t
}

func gcrRef(im image) string { return "gcr.io/" + project + "/" + im.Repo + "@" + im.Digest }

func genGCP() *gcpGen {
	g := &gcpGen{r: newRNG("gcp"), gcrObjects: map[string]bool{}}
	k := newK8s(g)

	// Images already in GCR before the day began.
	oldLedger := newImage("ledger-worker", "v1.4.0", []layer{baseDebian, baseCerts, baseJRE, {blob("ledger-worker:v1.4.0/app"), 12071004}}, 5933)
	for _, im := range []image{oldPayments, oldOrders, oldLedger} {
		for _, tag := range []string{im.Tag, "latest"} {
			g.gcrObjects[gcrBucket+"/containers/repositories/library/"+im.Repo+"/tag_"+tag] = true
		}
	}
	k.current = map[string]image{"payments-api": oldPayments, "orders-api": oldOrders, "ledger-worker": oldLedger}
	k.ledger = oldLedger

	// Cloud Build pushes, scanning, and the CD pipeline deploying them.
	cbUA := `docker/20.10.24 go/go1.19.7 git-commit/5d6db84 kernel/6.1.100+ os/linux arch/amd64 UpstreamClient(Docker-Client/20.10.24 \(linux\))`
	for _, b := range []struct {
		t      time.Time
		im     image
		layers []layer
	}{
		{at(7, 36, 44), imgOrders, imgOrders.Layers[3:]},
		{at(8, 12, 5), imgPayments, imgPayments.Layers[3:]},
		{at(10, 29, 31), imgLedger, imgLedger.Layers[3:]},
	} {
		end := g.gcrPush(b.t, pCloudBuild, cbPoolIP, cbUA, b.im, b.layers, []string{b.im.Tag, "latest"})
		g.scan(end.Add(g.r.secs(40, 90)), b.im, false)
		dep := end.Add(g.r.secs(480, 700))
		g.getCluster(dep, pCD, cbPoolIP, "google-cloud-sdk gcloud/493.0.0 command/gcloud.container.clusters.get-credentials invocation-id/"+g.r.hex(32)+" environment/GCE environment-version/None client-os/LINUX client-os-ver/6.1.100 client-pltf-arch/x86_64 interactive/False from-script/True python/3.11.9 term/ (Linux 6.1.100+)")
		t := k.rollout(dep.Add(g.r.secs(4, 9)), b.im)
		g.nodePull(t.Add(g.r.secs(2, 5)), gkeNodes, append(append([]layer{}, b.layers...), b.im.Config))
	}

	// Steps 4-6: the implant pushed with the stolen service account key,
	// scanned, and deployed as a "canary".
	end := g.gcrPush(at(9, 37, 12), pCI, attackerIP, uaDockerAttacker, imgImplant, []layer{implantLayer}, []string{"latest"})
	g.scan(end.Add(g.r.secs(50, 80)), imgImplant, true)
	g.getCluster(at(9, 47, 5), pCI, attackerIP, uaGcloudAttacker)
	t := k.attack(at(9, 47, 38))
	g.nodePull(t.Add(g.r.secs(3, 6)), gkeNodes[1:], []layer{implantLayer, imgImplant.Config})

	g.background()
	k.background()

	for _, s := range [][]gEntry{g.activity, g.data, g.gkeAct, g.gkeData, g.pubsub} {
		sort.SliceStable(s, func(i, j int) bool { return s[i].t.Before(s[j].t) })
	}
	return g
}

// background is the rest of the project's day.
func (g *gcpGen) background() {
	// Jenkins with the ci-deployer key: reads deploy config, writes reports.
	n := 5120
	for t := bgStart.Add(g.r.secs(200, 600)); t.Before(bgEnd); t = t.Add(g.r.secs(1500, 2400)) {
		n++
		g.gcs(t, "storage.objects.get", "acme-prod-deploy-config", "deploy/values-production.yaml", pCI, ciIP, uaGoStorage)
		g.gcs(t.Add(g.r.secs(60, 300)), "storage.objects.create", "acme-prod-ci-reports", fmt.Sprintf("reports/build-%d.json", n), pCI, ciIP, uaGoStorage)
	}
	// The payments service: FX rates every few minutes, an export hourly.
	uaJ := "gcloud-java/2.43.1 Java/17.0.12"
	pods := []string{"10.52.1.14", "10.52.2.9", "10.52.0.31"}
	for t := bgStart.Add(g.r.secs(30, 120)); t.Before(bgEnd); t = t.Add(g.r.secs(120, 300)) {
		g.gcs(t, "storage.objects.get", "acme-prod-payments-exports", "config/fx-rates.json", pPayments, pods[g.r.intn(len(pods))], uaJ)
	}
	for h := 7; h < 12; h++ {
		t := at(h, 5, g.r.between(0, 50))
		g.gcs(t, "storage.objects.create", "acme-prod-payments-exports", fmt.Sprintf("exports/2026-10-14/settlement-%02d00.csv", h-1), pPayments, pods[h%3], uaJ)
	}
	// People in the console.
	uaCon := gfe("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36")
	for i := 0; i < 6; i++ {
		t := at(7, 51, 10).Add(time.Duration(i) * g.r.secs(40, 120))
		g.compute(t, "v1.compute.instances.list", g.r.pick("us-central1-a", "us-central1-b", "us-central1-c"), "", "", pAlice, officeIP1, uaCon, nil)
	}
	for i := 0; i < 3; i++ {
		g.gcs(at(9, 5, 50).Add(time.Duration(i)*g.r.secs(15, 60)), "storage.objects.list", "acme-prod-payments-exports", "", pBob, officeIP2, uaCon)
	}
	// The instance scheduler and the managed instance group.
	uaSched := "google-api-python-client/2.137.0 (gzip),gzip(gfe)"
	g.compute(at(7, 0, 5), "v1.compute.instances.start", "us-central1-a", "dev-workstation-1", "4821937465102938475", pScheduler, "10.128.0.40", uaSched, nil)
	g.compute(at(7, 0, 9), "v1.compute.instances.start", "us-central1-a", "dev-workstation-2", "4821937465102938476", pScheduler, "10.128.0.40", uaSched, nil)
	g.compute(at(11, 30, 4), "v1.compute.instances.stop", "us-central1-b", "reporting-batch-1", "7730126645120983341", pScheduler, "10.128.0.40", uaSched, nil)
	g.compute(at(10, 19, 44), "v1.compute.instances.insert", "us-central1-c", "gke-prod-gke-1-default-pool-8f3a2c1d-x7k2", "2290416870231754311", pMIG, "private", "GCE Managed Instance Group for GKE",
		M{"name": "gke-prod-gke-1-default-pool-8f3a2c1d-x7k2", "machineType": "zones/us-central1-c/machineTypes/e2-standard-4"})
	g.compute(at(11, 52, 17), "v1.compute.instances.delete", "us-central1-c", "gke-prod-gke-1-default-pool-8f3a2c1d-x7k2", "2290416870231754311", pMIG, "private", "GCE Managed Instance Group for GKE", nil)
}

// The Pub/Sub push subscription that receives Container Analysis
// notifications.
const subscription = "projects/" + project + "/subscriptions/vigil-container-analysis-occurrences"

// notify publishes one occurrence notification as a push envelope; t is
// when the occurrence was created or updated.
func (g *gcpGen) notify(t time.Time, name, kind string) {
	t = t.Add(time.Duration(g.r.between(5000, 90000)) * time.Microsecond)
	body := compact(obj("name", name, "kind", kind, "notificationTime", tsNano(t)))
	pub := t.Add(time.Duration(g.r.between(40, 400)) * time.Millisecond).Truncate(time.Millisecond)
	id := g.r.digits(16)
	env := obj("message", obj("data", base64.StdEncoding.EncodeToString(body), "messageId", id, "message_id", id,
		"publishTime", pub.Format("2006-01-02T15:04:05.000Z"), "publish_time", pub.Format("2006-01-02T15:04:05.000Z")),
		"subscription", subscription)
	g.pubsub = append(g.pubsub, gEntry{pub, env})
}
