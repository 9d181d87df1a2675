// Command examplegen writes the example logs in examples/: a re-enactment
// of MITRE ATT&CK T1525 (Implant Internal Image) across AWS and GCP amid a
// morning of ordinary activity. The output is the same byte for byte on
// every run.
//
// Usage:
//
//	go run ./internal/examplegen -out examples
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "examples", "directory to write the examples to")
	flag.Parse()
	files, err := generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "examplegen:", err)
		os.Exit(1)
	}
	if err := write(*out, files); err != nil {
		fmt.Fprintln(os.Stderr, "examplegen:", err)
		os.Exit(1)
	}
	n := 0
	for _, f := range files {
		n += len(f.data)
	}
	fmt.Fprintf(os.Stderr, "examplegen: wrote %d files, %d bytes, to %s\n", len(files), n, *out)
}

// file is one output file; gzip files hold their compressed bytes and,
// for comparison, their plain content.
type file struct {
	path  string
	data  []byte
	plain []byte
}

// generated lists the directories and name patterns the generator owns;
// stale files matching them are removed before writing.
var generated = []string{
	"README.md",
	"aws/cloudtrail/" + account + "_CloudTrail*.json.gz",
	"aws/eventbridge/*.jsonl",
	"aws/vpcflow/*.log",
	"gcp/audit/*.jsonl",
	"gcp/gke/*.jsonl",
	"gcp/artifact-analysis/*.json",
	"gcp/pubsub/*.jsonl",
}

func write(dir string, files []file) error {
	for _, pat := range generated {
		old, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range old {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func jsonLines(es []gEntry) []byte {
	var b []byte
	for _, e := range es {
		b = appendJSON(b, e.v)
		b = append(b, '\n')
	}
	return b
}

// generate builds every example file and the README that describes them.
func generate() ([]file, error) {
	var files []file
	var ff []fileFact
	add := func(path string, data []byte, records int, format, what string) {
		files = append(files, file{path: path, data: data, plain: data})
		ff = append(ff, fileFact{Path: path, Format: format, Records: records, What: what})
	}

	aws := genAWS()
	ct := cloudTrailFiles(aws)
	files = append(files, ct...)
	for i, f := range ct {
		name := f.path[len("aws/cloudtrail/"):]
		if strings.Contains(name, "Digest") {
			ff = append(ff, fileFact{Path: f.path, Format: "CloudTrail digest, gzip", Records: 1, What: "integrity digest for the last hour; not activity, skipped"})
			continue
		}
		what := fmt.Sprintf("%02d:00–%02d:00", 7+i, 8+i)
		switch i {
		case 2:
			what += ": attack steps 1–3"
		case 3:
			what += ": EKS nodes pull the implant"
		}
		ff = append(ff, fileFact{Path: f.path, Format: "CloudTrail S3 delivery, gzip", Records: strings.Count(string(f.plain), `"eventVersion"`), What: what})
	}
	var eb []byte
	ebr := newRNG("eventbridge")
	for _, r := range aws.bridge {
		env := obj("version", "0", "id", ebr.uuid(), "detail-type", "AWS API Call via CloudTrail", "source", "aws.ecr",
			"account", account, "time", ts(r.t), "region", region, "resources", A{}, "detail", r.rec)
		eb = appendJSON(eb, env)
		eb = append(eb, '\n')
	}
	add("aws/eventbridge/ecr-events.jsonl", eb, len(aws.bridge), "EventBridge events, JSON lines", "ECR writes of a CodeBuild push and of the attacker's push (step 3)")

	fl := genFlows()
	var v2, v5 bytes.Buffer
	for _, f := range fl.bastion {
		v2.WriteString(f.v2() + "\n")
	}
	v5.WriteString(v5Header + "\n")
	for _, f := range fl.vpc {
		v5.WriteString(f.v5() + "\n")
	}
	add("aws/vpcflow/"+bastion.eni+"-all.log", v2.Bytes(), len(fl.bastion), "VPC flow logs v2, default format, no header", "the bastion host: SSH from the office, scanners rejected")
	add("aws/vpcflow/"+account+"_vpcflowlogs_"+region+"_"+flowLogID+"_20261014T0700Z_"+newRNG("vpcflow-name").hex(8)+".log", v5.Bytes(), len(fl.vpc),
		"VPC flow logs, custom format with v5 fields, header", "the production VPC: load balancer, EKS nodes, database, NAT; the implant's beacons (h)")

	g := genGCP()
	add("gcp/audit/activity.jsonl", jsonLines(g.activity), len(g.activity), "Cloud Audit Logs LogEntry, JSON lines", "Admin Activity: Compute Engine starts, stops, inserts, deletes")
	add("gcp/audit/data_access.jsonl", jsonLines(g.data), len(g.data), "Cloud Audit Logs LogEntry, JSON lines", "Data Access: Cloud Storage (registry pushes and pulls, step 4), GetCluster, instance lists")
	add("gcp/gke/activity.jsonl", jsonLines(g.gkeAct), len(g.gkeAct), "GKE audit LogEntry (k8s.io), JSON lines", "cluster writes: rollouts, autoscaling, CronJob runs, the attacker's deployment (step 5)")
	add("gcp/gke/data_access.jsonl", jsonLines(g.gkeData), len(g.gkeData), "GKE audit LogEntry (k8s.io), JSON lines", "cluster reads: the CD pipeline's checks, engineers, the attacker looking around")
	add("gcp/pubsub/container-analysis-occurrences-v1.jsonl", jsonLines(g.pubsub), len(g.pubsub), "Pub/Sub push envelopes, JSON lines", "Artifact Analysis notifications for every scanned image (step 6)")
	add("gcp/artifact-analysis/payments-api-vulnerabilities.json", append(indent(g.implantOccurrences, "  "), '\n'), len(g.implantOccurrences),
		"Grafeas occurrences, JSON array", "vulnerabilities of the implanted image (step 6)")

	f := collectFacts(aws, fl, g)
	sort.Slice(ff, func(i, j int) bool { return ff[i].Path < ff[j].Path })
	f.Files = ff
	for _, x := range ff {
		if !strings.Contains(x.Path, "Digest") {
			f.TotalRecords += x.Records
		}
	}
	rd := readme(f)
	files = append(files, file{path: "README.md", data: rd, plain: rd})
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// cloudTrailFiles splits the records into hourly S3 delivery files and
// adds a digest file for the last hour.
func cloudTrailFiles(g *awsGen) []file {
	r := newRNG("cloudtrail-files")
	var files []file
	type logFile struct {
		key            string
		hash           string
		oldest, newest time.Time
	}
	var logs []logFile
	for h := bgStart; h.Before(bgEnd); h = h.Add(time.Hour) {
		var recs A
		var oldest, newest time.Time
		for _, rec := range g.records {
			if !rec.t.Before(h) && rec.t.Before(h.Add(time.Hour)) {
				recs = append(recs, rec.rec)
				if oldest.IsZero() {
					oldest = rec.t
				}
				newest = rec.t
			}
		}
		plain := compact(obj("Records", recs))
		name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, h.Add(65*time.Minute).Format("20060102T1504Z"), r.alnum(16))
		files = append(files, file{path: "aws/cloudtrail/" + name, data: gz(plain), plain: plain})
		sum := sha256.Sum256(plain)
		logs = append(logs, logFile{key: "AWSLogs/" + account + "/CloudTrail/" + region + "/2026/10/14/" + name, hash: hex.EncodeToString(sum[:]), oldest: oldest, newest: newest})
	}
	last := logs[len(logs)-1]
	end := at(12, 6, 9)
	start := end.Add(-time.Hour)
	digestName := func(t time.Time) string {
		return fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", account, region, trailName, region, t.Format("20060102T150405Z"))
	}
	prefix := "AWSLogs/" + account + "/CloudTrail-Digest/" + region + "/2026/10/14/"
	d := obj(
		"awsAccountId", account,
		"digestStartTime", ts(start),
		"digestEndTime", ts(end),
		"digestS3Bucket", trailBkt,
		"digestS3Object", prefix+digestName(end),
		"digestPublicKeyFingerprint", r.hex(32),
		"digestSignatureAlgorithm", "SHA256withRSA",
		"newestEventTime", ts(last.newest),
		"oldestEventTime", ts(last.oldest),
		"previousDigestS3Bucket", trailBkt,
		"previousDigestS3Object", prefix+digestName(start),
		"previousDigestHashValue", r.hex(64),
		"previousDigestHashAlgorithm", "SHA-256",
		"previousDigestSignature", r.hex(512),
		"logFiles", A{obj("s3Bucket", trailBkt, "s3Object", last.key, "hashValue", last.hash, "hashAlgorithm", "SHA-256",
			"newestEventTime", ts(last.newest), "oldestEventTime", ts(last.oldest))},
	)
	plain := compact(d)
	files = append(files, file{path: "aws/cloudtrail/" + digestName(end), data: gz(plain), plain: plain})
	return files
}
