package main

import (
	"fmt"
	"strings"
	"time"
)

// get follows a path of object keys through O and M values.
func get(v any, path ...string) any {
	for _, k := range path {
		switch x := v.(type) {
		case O:
			var next any
			for _, kv := range x {
				if kv.K == k {
					next = kv.V
					break
				}
			}
			v = next
		case M:
			v = x[k]
		default:
			return nil
		}
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

// facts are the scenario's key times and values, read back from the
// generated records so that the README always matches the files.
type facts struct {
	Digest, Short, ConfigDigest, ImplantLayer       string
	BenignDigest, OrdersDigest, LedgerDigest        string
	FirstAttack, EnumStart, EnumEnd, PullStart      time.Time
	Token1, Token2, PushStart, PutImage             time.Time
	CIUsesInHour                                    []time.Time
	GCRFirst, GCRManifest, GCRLast                  time.Time
	GCRObjects                                      []string
	GetCluster, K8sFirst, DeployCreate, PodsCreated time.Time
	NodePulls                                       time.Time
	ScanFirst, ScanLast                             time.Time
	Vulns                                           map[string]int
	VulnIDs                                         []string
	EKSPull                                         time.Time
	Beacon                                          time.Time
	EnumCalls, AttackAWSCalls, AttackGCSCalls       int
	AccessDenied                                    int
	Files                                           []fileFact
	TotalRecords                                    int
	CodeBuildPushes                                 []string
}

type fileFact struct {
	Path    string
	Format  string
	Records int
	What    string
}

func minT(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func collectFacts(aws *awsGen, fl *flowGen, g *gcpGen) *facts {
	f := &facts{Digest: imgImplant.Digest, ConfigDigest: imgImplant.Config.Digest, ImplantLayer: implantLayer.Digest,
		BenignDigest: imgPayments.Digest, OrdersDigest: imgOrders.Digest, LedgerDigest: imgLedger.Digest, Vulns: map[string]int{}}
	f.Short = f.Digest[len("sha256:") : len("sha256:")+12]
	for _, r := range aws.records {
		ip, name, ua := str(r.rec, "sourceIPAddress"), str(r.rec, "eventName"), str(r.rec, "userAgent")
		key := str(r.rec, "userIdentity", "accessKeyId")
		if ip == attackerIP {
			f.AttackAWSCalls++
			f.FirstAttack = minT(f.FirstAttack, r.t)
			if str(r.rec, "errorCode") != "" {
				f.AccessDenied++
			}
			switch {
			case name == "DescribeRepositories" || name == "ListImages" || name == "DescribeImages":
				f.EnumCalls++
				f.EnumStart = minT(f.EnumStart, r.t)
				f.EnumEnd = r.t
			case name == "BatchGetImage":
				f.PullStart = r.t
			case name == "GetAuthorizationToken" && f.Token1.IsZero():
				f.Token1 = r.t
			case name == "GetAuthorizationToken":
				f.Token2 = r.t
			case name == "BatchCheckLayerAvailability":
				f.PushStart = r.t
			case name == "PutImage":
				f.PutImage = r.t
			}
		}
		if key == ciKey && ua == uaCI && r.t.After(at(8, 45, 0)) && r.t.Before(at(10, 0, 0)) {
			if n := len(f.CIUsesInHour); n == 0 || r.t.Sub(f.CIUsesInHour[n-1]) > time.Minute {
				f.CIUsesInHour = append(f.CIUsesInHour, r.t)
			}
		}
		if name == "BatchGetImage" && strings.Contains(str(r.rec, "userIdentity", "arn"), "eks-node-role") && r.t.After(at(10, 0, 0)) && str(r.rec, "requestParameters", "repositoryName") == "payments-api" && f.EKSPull.IsZero() {
			f.EKSPull = r.t
		}
		if name == "PutImage" && strings.Contains(str(r.rec, "userIdentity", "arn"), "ci-build-role") {
			f.CodeBuildPushes = append(f.CodeBuildPushes, fmt.Sprintf("%s %s:%s", r.t.Format("15:04:05"), str(r.rec, "requestParameters", "repositoryName"), str(r.rec, "requestParameters", "imageTag")))
		}
	}
	for _, e := range g.data {
		pp := get(e.v, "protoPayload")
		if str(pp, "requestMetadata", "callerIp") != attackerIP {
			if str(pp, "authenticationInfo", "principalEmail") == nodeSA && strings.Contains(str(pp, "resourceName"), implantLayer.Digest) && f.NodePulls.IsZero() {
				f.NodePulls = e.t
			}
			continue
		}
		if str(pp, "methodName") == "google.container.v1.ClusterManager.GetCluster" {
			f.GetCluster = e.t
			continue
		}
		f.AttackGCSCalls++
		if str(pp, "methodName") == "storage.objects.create" {
			f.GCRFirst = minT(f.GCRFirst, e.t)
			f.GCRLast = e.t
			obj := str(pp, "resourceName")[len("projects/_/buckets/"+gcrBucket+"/objects/"):]
			f.GCRObjects = append(f.GCRObjects, obj)
			if strings.Contains(obj, "manifest_") {
				f.GCRManifest = e.t
			}
		}
	}
	for _, e := range append(append([]gEntry{}, g.gkeData...), g.gkeAct...) {
		pp := get(e.v, "protoPayload")
		if str(pp, "requestMetadata", "callerIp") == attackerIP {
			f.K8sFirst = minT(f.K8sFirst, e.t)
			if str(pp, "methodName") == "io.k8s.apps.v1.deployments.create" {
				f.DeployCreate = e.t
			}
		}
		if str(pp, "methodName") == "io.k8s.core.v1.pods.create" && strings.Contains(compactString(pp), f.Digest) {
			f.PodsCreated = e.t
		}
	}
	for _, o := range g.implantOccurrences {
		f.Vulns[str(o, "vulnerability", "effectiveSeverity")]++
		t, _ := time.Parse(time.RFC3339Nano, str(o, "createTime"))
		f.ScanFirst = minT(f.ScanFirst, t)
		f.ScanLast = t
		if s := str(o, "vulnerability", "effectiveSeverity"); s == "CRITICAL" || s == "HIGH" {
			f.VulnIDs = append(f.VulnIDs, str(o, "vulnerability", "shortDescription")+" ("+s+")")
		}
	}
	for _, fw := range fl.vpc {
		if fw.dst == attackerIP && fw.eni != ifNAT.eni {
			f.Beacon = fw.start
			break
		}
	}
	return f
}

func compactString(v any) string { return string(compact(v)) }
