package main

import (
	"fmt"
	"strings"
	"time"
)

// k8s generates the GKE cluster's audit log.
type k8s struct {
	g       *gcpGen
	current map[string]image
	// ledger is the CronJob's image at the start of the day.
	ledger image
	rs     map[string]string   // deployment → current ReplicaSet name
	pods   map[string][]string // deployment → running pods
}

func newK8s(g *gcpGen) *k8s {
	k := &k8s{g: g, rs: map[string]string{}, pods: map[string][]string{}}
	for _, d := range []string{"payments-api", "orders-api"} {
		k.rs[d] = d + "-" + g.r.k8sSuffix(10)
		for i := 0; i < 3; i++ {
			k.pods[d] = append(k.pods[d], k.rs[d]+"-"+g.r.k8sSuffix(5))
		}
	}
	return k
}

const (
	gkeVersion = "v1.30.5-gke.1014001"
	iamReason  = "access granted by IAM permissions."
)

func controllerUA(sa string) string {
	return "kube-controller-manager/" + gkeVersion + " (linux/amd64) kubernetes/9d3f8a1/system:serviceaccount:kube-system:" + sa
}

func rbacReason(sa string) string {
	return fmt.Sprintf(`RBAC: allowed by ClusterRoleBinding "system:controller:%s" of ClusterRole "system:controller:%s" to ServiceAccount "%s/kube-system"`, sa, sa, sa)
}

// call is one Kubernetes API request as GKE logs it.
type kcall struct {
	t         time.Time
	who       string
	ip, ua    string
	method    string
	resource  string // resourceName
	reason    string
	req, resp M
	read      bool
}

func (k *k8s) add(c kcall) {
	g := k.g
	t := c.t.Add(g.r.nanos())
	id := g.r.uuid()
	pp := M{
		"@type":              "type.googleapis.com/google.cloud.audit.AuditLog",
		"authenticationInfo": M{"principalEmail": c.who},
		"authorizationInfo":  A{M{"granted": true, "permission": c.method, "resource": c.resource}},
		"methodName":         c.method,
		"requestMetadata":    M{"callerIp": c.ip, "callerSuppliedUserAgent": c.ua},
		"resourceName":       c.resource,
		"serviceName":        "k8s.io",
		"status":             M{},
	}
	if c.req != nil {
		pp["request"] = c.req
	}
	if c.resp != nil {
		pp["response"] = c.resp
	}
	kind, sev := "activity", "NOTICE"
	if c.read {
		kind, sev = "data_access", "INFO"
	}
	e := M{
		"insertId":         id,
		"labels":           M{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": c.reason},
		"logName":          "projects/" + project + "/logs/cloudaudit.googleapis.com%2F" + kind,
		"operation":        M{"first": true, "id": id, "last": true, "producer": "k8s.io"},
		"protoPayload":     pp,
		"receiveTimestamp": tsNano(t.Add(time.Duration(g.r.between(900, 4000)) * time.Millisecond).Add(g.r.nanos() / 1000)),
		"resource":         M{"type": "k8s_cluster", "labels": M{"cluster_name": gkeCluster, "location": gkeLocation, "project_id": project}},
		"severity":         sev,
		"timestamp":        tsNano(t),
	}
	if c.read {
		g.gkeData = append(g.gkeData, gEntry{t, e})
	} else {
		g.gkeAct = append(g.gkeAct, gEntry{t, e})
	}
}

func container(name, image string) M {
	return M{"name": name, "image": image, "ports": A{M{"containerPort": 8080, "protocol": "TCP"}},
		"resources":                M{"requests": M{"cpu": "500m", "memory": "1Gi"}, "limits": M{"memory": "1Gi"}},
		"terminationMessagePath":   "/dev/termination-log",
		"terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
}

func podSpec(app, image string) M {
	return M{"containers": A{container(app, image)}, "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
		"dnsPolicy": "ClusterFirst", "serviceAccountName": app, "securityContext": M{}, "schedulerName": "default-scheduler"}
}

// controller is a kube-controller-manager request.
func (k *k8s) controller(t time.Time, sa, method, resource string, req M) {
	k.add(kcall{t: t, who: "system:serviceaccount:kube-system:" + sa, ip: "::1", ua: controllerUA(sa), method: method, resource: resource, reason: rbacReason(sa), req: req})
}

// newReplicaSet creates the ReplicaSet and n pods for a deployment's
// template, as the deployment and replicaset controllers do.
func (k *k8s) newReplicaSet(t time.Time, ns, dep string, labels M, image string, n int) (time.Time, string, []string) {
	rsName := dep + "-" + k.g.r.k8sSuffix(10)
	owner := func(kind, name string) A {
		return A{M{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": k.g.r.uuid(), "controller": true, "blockOwnerDeletion": true}}
	}
	tmpl := M{"metadata": M{"labels": labels, "creationTimestamp": nil}, "spec": podSpec(labels["app"].(string), image)}
	k.controller(t, "deployment-controller", "io.k8s.apps.v1.replicasets.create", "apps/v1/namespaces/"+ns+"/replicasets/"+rsName,
		M{"@type": "apps.k8s.io/v1.ReplicaSet", "apiVersion": "apps/v1", "kind": "ReplicaSet",
			"metadata": M{"name": rsName, "namespace": ns, "labels": labels, "ownerReferences": owner("Deployment", dep), "creationTimestamp": nil},
			"spec":     M{"replicas": 0, "selector": M{"matchLabels": labels}, "template": tmpl}, "status": M{"replicas": 0}})
	var pods []string
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(k.g.r.between(80, 900)) * time.Millisecond)
		pods = append(pods, rsName+"-"+k.g.r.k8sSuffix(5))
		k.controller(t, "replicaset-controller", "io.k8s.core.v1.pods.create", "core/v1/namespaces/"+ns+"/pods",
			M{"@type": "core.k8s.io/v1.Pod", "apiVersion": "v1", "kind": "Pod",
				"metadata": M{"generateName": rsName + "-", "namespace": ns, "labels": labels, "ownerReferences": owner("ReplicaSet", rsName), "creationTimestamp": nil},
				"spec":     podSpec(labels["app"].(string), image), "status": M{}})
	}
	return t, rsName, pods
}

// rollout is the CD pipeline updating a deployment's image.
func (k *k8s) rollout(t time.Time, im image) time.Time {
	dep := im.Repo
	ns := "production"
	base := "apps/v1/namespaces/" + ns + "/deployments/" + dep
	k.add(kcall{t: t, who: cdSA, ip: cbPoolIP, ua: uaKubectlCD, method: "io.k8s.apps.v1.deployments.get", resource: base, reason: iamReason, read: true})
	t = t.Add(time.Duration(k.g.r.between(300, 900)) * time.Millisecond)
	if dep == "ledger-worker" {
		// A CronJob, not a deployment: the new image goes into its template.
		k.add(kcall{t: t, who: cdSA, ip: cbPoolIP, ua: uaKubectlCD, method: "io.k8s.batch.v1.cronjobs.patch", resource: "batch/v1/namespaces/" + ns + "/cronjobs/ledger-reconcile", reason: iamReason,
			req: M{"@type": "k8s.io/Patch", "spec": M{"jobTemplate": M{"spec": M{"template": M{"spec": M{"containers": A{M{"name": dep, "image": gcrRef(im)}}}}}}}}})
		k.current[dep] = im
		return t
	}
	k.add(kcall{t: t, who: cdSA, ip: cbPoolIP, ua: uaKubectlCD, method: "io.k8s.apps.v1.deployments.patch", resource: base, reason: iamReason,
		req: M{"@type": "k8s.io/Patch", "spec": M{"template": M{"metadata": M{"annotations": M{"deploy.acme.example/revision": im.Tag}},
			"spec": M{"containers": A{M{"name": dep, "image": gcrRef(im)}}}}}}})
	t = t.Add(time.Duration(k.g.r.between(100, 400)) * time.Millisecond)
	old := k.rs[dep]
	oldPods := k.pods[dep]
	t, rsName, pods := k.newReplicaSet(t, ns, dep, M{"app": dep}, gcrRef(im), len(oldPods))
	for _, p := range oldPods {
		t = t.Add(k.g.r.secs(8, 20))
		k.controller(t, "deployment-controller", "io.k8s.apps.v1.replicasets.update", "apps/v1/namespaces/"+ns+"/replicasets/"+old, nil)
		t = t.Add(time.Duration(k.g.r.between(50, 300)) * time.Millisecond)
		k.controller(t, "replicaset-controller", "io.k8s.core.v1.pods.delete", "core/v1/namespaces/"+ns+"/pods/"+p, nil)
	}
	k.rs[dep], k.pods[dep], k.current[dep] = rsName, pods, im
	return t
}

// attack is step 5: with the stolen key the attacker looks around the
// production namespace and creates a "canary" running the implant.
func (k *k8s) attack(t time.Time) time.Time {
	ns := "production"
	who := ciSA
	read := func(method, res string) {
		k.add(kcall{t: t, who: who, ip: attackerIP, ua: uaKubectlAttacker, method: method, resource: res, reason: iamReason, read: true})
	}
	read("io.k8s.core.v1.namespaces.list", "core/v1/namespaces")
	t = t.Add(k.g.r.secs(5, 9))
	read("io.k8s.apps.v1.deployments.list", "apps/v1/namespaces/"+ns+"/deployments")
	t = t.Add(k.g.r.secs(6, 12))
	read("io.k8s.apps.v1.deployments.get", "apps/v1/namespaces/"+ns+"/deployments/payments-api")
	t = at(9, 48, 12)
	name := "payments-api-canary"
	labels := M{"app": "payments-api", "track": "canary"}
	img := gcrRef(imgImplant)
	spec := M{"replicas": 2, "selector": M{"matchLabels": labels},
		"template":                M{"metadata": M{"labels": labels, "creationTimestamp": nil}, "spec": podSpec("payments-api", img)},
		"strategy":                M{"type": "RollingUpdate", "rollingUpdate": M{"maxUnavailable": "25%", "maxSurge": "25%"}},
		"revisionHistoryLimit":    10,
		"progressDeadlineSeconds": 600}
	uid := k.g.r.uuid()
	k.add(kcall{t: t, who: who, ip: attackerIP, ua: uaKubectlAttacker, method: "io.k8s.apps.v1.deployments.create",
		resource: "apps/v1/namespaces/" + ns + "/deployments/" + name, reason: iamReason,
		req: M{"@type": "apps.k8s.io/v1.Deployment", "apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": M{"name": name, "namespace": ns, "labels": labels, "creationTimestamp": nil}, "spec": spec, "status": M{}},
		resp: M{"@type": "apps.k8s.io/v1.Deployment", "apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": M{"name": name, "namespace": ns, "uid": uid, "resourceVersion": k.g.r.digits(9), "generation": 1,
				"creationTimestamp": ts(t), "labels": labels, "annotations": M{"deployment.kubernetes.io/revision": "1"}},
			"spec": spec, "status": M{}}})
	t = t.Add(time.Duration(k.g.r.between(150, 500)) * time.Millisecond)
	t, _, _ = k.newReplicaSet(t, ns, name, labels, img, 2)
	return t
}

// background is the cluster's ordinary day: the payments autoscaler, an
// every-half-hour CronJob, the CD pipeline's drift checks, and engineers.
func (k *k8s) background() {
	g := k.g
	ns := "production"
	// HPA: payments-api 3 → 4 at 09:31, back to 3 at 11:16.
	scale := func(t time.Time, from, to int) {
		sa := "horizontal-pod-autoscaler"
		dep := "payments-api"
		k.controller(t, sa, "io.k8s.apps.v1.deployments.scale.update", "apps/v1/namespaces/"+ns+"/deployments/"+dep+"/scale",
			M{"@type": "autoscaling.k8s.io/v1.Scale", "apiVersion": "autoscaling/v1", "kind": "Scale",
				"metadata": M{"name": dep, "namespace": ns}, "spec": M{"replicas": to}, "status": M{"replicas": from, "selector": "app=" + dep}})
		t = t.Add(time.Duration(g.r.between(100, 400)) * time.Millisecond)
		k.controller(t, "deployment-controller", "io.k8s.apps.v1.replicasets.update", "apps/v1/namespaces/"+ns+"/replicasets/"+k.rs[dep], nil)
		t = t.Add(time.Duration(g.r.between(100, 400)) * time.Millisecond)
		if to > from {
			pod := k.rs[dep] + "-" + g.r.k8sSuffix(5)
			k.pods[dep] = append(k.pods[dep], pod)
			k.controller(t, "replicaset-controller", "io.k8s.core.v1.pods.create", "core/v1/namespaces/"+ns+"/pods",
				M{"@type": "core.k8s.io/v1.Pod", "apiVersion": "v1", "kind": "Pod",
					"metadata": M{"generateName": k.rs[dep] + "-", "namespace": ns, "labels": M{"app": dep}, "creationTimestamp": nil},
					"spec":     podSpec(dep, gcrRef(k.current[dep])), "status": M{}})
		} else {
			last := k.pods[dep][len(k.pods[dep])-1]
			k.pods[dep] = k.pods[dep][:len(k.pods[dep])-1]
			k.controller(t, "replicaset-controller", "io.k8s.core.v1.pods.delete", "core/v1/namespaces/"+ns+"/pods/"+last, nil)
		}
	}
	scale(at(9, 31, 5), 3, 4)
	scale(at(11, 16, 40), 4, 3)

	// The ledger-reconcile CronJob, every 30 minutes.
	for t := at(7, 0, 0); t.Before(bgEnd); t = t.Add(30 * time.Minute) {
		im := k.ledger
		if t.After(at(10, 45, 0)) {
			im = imgLedger
		}
		job := fmt.Sprintf("ledger-reconcile-%d", t.Unix()/60)
		tt := t.Add(time.Duration(g.r.between(20, 900)) * time.Millisecond)
		labels := M{"app": "ledger-worker", "job-name": job}
		k.controller(tt, "cronjob-controller", "io.k8s.batch.v1.jobs.create", "batch/v1/namespaces/"+ns+"/jobs/"+job,
			M{"@type": "batch.k8s.io/v1.Job", "apiVersion": "batch/v1", "kind": "Job",
				"metadata": M{"name": job, "namespace": ns, "labels": M{"app": "ledger-worker"}, "creationTimestamp": nil},
				"spec": M{"backoffLimit": 2, "ttlSecondsAfterFinished": 3600,
					"template": M{"metadata": M{"labels": labels, "creationTimestamp": nil}, "spec": M{"containers": A{container("ledger-worker", gcrRef(im))}, "restartPolicy": "Never", "serviceAccountName": "ledger-worker"}}},
				"status": M{}})
		tt = tt.Add(time.Duration(g.r.between(100, 700)) * time.Millisecond)
		k.controller(tt, "job-controller", "io.k8s.core.v1.pods.create", "core/v1/namespaces/"+ns+"/pods",
			M{"@type": "core.k8s.io/v1.Pod", "apiVersion": "v1", "kind": "Pod",
				"metadata": M{"generateName": job + "-", "namespace": ns, "labels": labels, "creationTimestamp": nil},
				"spec":     M{"containers": A{container("ledger-worker", gcrRef(im))}, "restartPolicy": "Never", "serviceAccountName": "ledger-worker"}, "status": M{}})
	}

	// The CD pipeline's drift check, every 10 minutes.
	for t := bgStart.Add(g.r.secs(60, 200)); t.Before(bgEnd); t = t.Add(g.r.secs(570, 630)) {
		for _, d := range []string{"payments-api", "orders-api"} {
			k.add(kcall{t: t, who: cdSA, ip: cbPoolIP, ua: uaKubectlCD, method: "io.k8s.apps.v1.deployments.get", resource: "apps/v1/namespaces/" + ns + "/deployments/" + d, reason: iamReason, read: true})
			t = t.Add(time.Duration(g.r.between(200, 900)) * time.Millisecond)
		}
	}

	// Engineers with kubectl.
	human := func(t time.Time, who, ip string, steps []string) {
		for _, s := range steps {
			parts := strings.SplitN(s, " ", 2)
			k.add(kcall{t: t, who: who, ip: ip, ua: uaKubectlHum, method: parts[0], resource: parts[1], reason: iamReason, read: true})
			t = t.Add(g.r.secs(4, 50))
		}
	}
	p := k.pods["orders-api"][0]
	human(at(8, 5, 12), alice, officeIP1, []string{
		"io.k8s.core.v1.pods.list core/v1/namespaces/production/pods",
		"io.k8s.core.v1.pods.get core/v1/namespaces/production/pods/" + p,
		"io.k8s.core.v1.pods.log.get core/v1/namespaces/production/pods/" + p + "/log",
		"io.k8s.core.v1.pods.log.get core/v1/namespaces/production/pods/" + p + "/log",
		"io.k8s.apps.v1.deployments.get apps/v1/namespaces/production/deployments/orders-api",
	})
	human(at(9, 10, 40), bob, officeIP2, []string{
		"io.k8s.apps.v1.deployments.list apps/v1/namespaces/production/deployments",
		"io.k8s.core.v1.events.list core/v1/namespaces/production/events",
		"io.k8s.autoscaling.v2.horizontalpodautoscalers.get autoscaling/v2/namespaces/production/horizontalpodautoscalers/payments-api",
	})
}
