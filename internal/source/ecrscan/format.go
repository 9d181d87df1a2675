package ecrscan

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/aws"
)

// Name is the --format name.
const Name = "ecr-scan"

// Product is the vendor_product of every event.
const Product = "Amazon ECR"

// Format reads Amazon ECR EventBridge events and scan findings.
type Format struct{}

// New returns the ECR format.
func New() source.Format { return Format{} }

// Name implements source.Format.
func (Format) Name() string { return Name }

// Doc implements source.Format.
func (Format) Doc() string {
	return "Amazon ECR: EventBridge events (image push/delete, scan complete, pull through cache, replication) and describe-image-scan-findings output"
}

// Detect accepts EventBridge events from aws.ecr whose detail-type is an
// ECR event (not "AWS API Call via CloudTrail", which is CloudTrail's), and
// DescribeImageScanFindings responses (imageScanFindings).
func (Format) Detect(v *fastjson.Value) bool {
	if dt := v.GetStringBytes("detail-type"); dt != nil {
		return bytes.HasPrefix(dt, []byte("ECR ")) && source.StrIs(v, "aws.ecr", "source") && v.Get("detail") != nil
	}
	f := v.Get("imageScanFindings")
	return f != nil && f.Type() == fastjson.TypeObject
}

// Parse implements source.Format.
func (Format) Parse(r *source.Record, emit source.Emit) error {
	v := r.JSON
	if v == nil || v.Type() != fastjson.TypeObject {
		return source.ErrNotObject
	}
	if f := v.Get("imageScanFindings"); f != nil && v.Get("detail") == nil {
		if f.Type() != fastjson.TypeObject {
			return source.Errorf("imageScanFindings", "is a %s, not an object", f.Type())
		}
		return parseFindings(r, v, f, emit)
	}
	d := v.Get("detail")
	if d == nil {
		return source.Errorf("detail", "missing: not an ECR EventBridge event nor a DescribeImageScanFindings response")
	}
	if d.Type() != fastjson.TypeObject {
		return source.Errorf("detail", "EventBridge detail is a %s, not an object", d.Type())
	}
	detailType := string(v.GetStringBytes("detail-type"))
	actionType := string(d.GetStringBytes("action-type"))
	en, action, ok := ops.Lookup(detailType, actionType)
	e := r.NewEvent(event.VendorAWS, Product)
	envelope.Apply(v, e)
	e.Dataset = event.Container
	if ok {
		e.Dataset = en.Dataset
	}
	if action == "" {
		action = strings.ToLower(actionType)
	}
	e.Action = action
	if detailType == "ECR Scan Resource Change" {
		return resourceChange(e, d, emit)
	}
	if en != nil && en.Fields != nil {
		en.Fields.Apply(v, e)
	}
	if counts := d.Get("finding-severity-counts"); counts != nil {
		aws.SummarizeSeverityCounts(e, counts)
	}
	aws.CompleteECRImage(e)
	emit(e)
	return nil
}

// resourceChange emits one event per repository whose scan configuration
// changed, from the template event e.
func resourceChange(e *event.Event, d *fastjson.Value, emit source.Emit) error {
	repos := d.GetArray("repositories")
	if len(repos) == 0 {
		e.Msg = string(d.GetStringBytes("action-type"))
		emit(e)
		return nil
	}
	for _, repo := range repos {
		x := *e
		x.Tags = nil
		x.Container = nil
		scanRepository.Apply(repo, &x)
		if f := repo.GetStringBytes("scan-frequency"); f != nil {
			x.Msg = "scan-frequency " + string(f)
			if p := repo.GetStringBytes("previous-scan-frequency"); p != nil {
				x.Msg += " (was " + string(p) + ")"
			}
		}
		emit(&x)
	}
	return nil
}

// parseFindings reads a DescribeImageScanFindings response: one summary
// event for the scan, then one event per finding.
func parseFindings(r *source.Record, v, f *fastjson.Value, emit source.Emit) error {
	basic := f.GetArray("findings")
	enhanced := f.GetArray("enhancedFindings")
	region := ""
	for _, x := range enhanced {
		if region = aws.Region(string(x.GetStringBytes("resources", "0", "id"))); region == "" {
			region = aws.Region(string(x.GetStringBytes("findingArn")))
		}
		if region != "" {
			break
		}
	}
	base := func() *event.Event {
		e := r.NewEvent(event.VendorAWS, Product)
		e.Dataset = event.Vulnerability
		e.EventName = "DescribeImageScanFindings"
		e.Region = region
		scanResult.Apply(v, e)
		return e
	}
	// The scan itself, as the EventBridge scan-complete event gives it.
	e := base()
	e.Action = "scan"
	scanSummary.Apply(v, e)
	aws.SummarizeSeverityCounts(e, f.Get("findingSeverityCounts"))
	if e.Status == event.StatusFailure {
		if d := v.GetStringBytes("imageScanStatus", "description"); d != nil {
			e.Msg = string(d)
		}
	}
	aws.CompleteECRImage(e)
	emit(e)
	for _, x := range basic {
		e := base()
		e.Action = "found"
		basicFinding.Apply(x, e)
		for _, a := range x.GetArray("attributes") {
			key := string(a.GetStringBytes("key"))
			val := string(a.GetStringBytes("value"))
			switch {
			case val == "":
			case has(packageKeys, key):
				e.V().Package = source.Intern([]byte(val))
			case has(versionKeys, key):
				e.V().InstalledVersion = val
			case has(scoreKeys, key) && (e.Vuln == nil || e.Vuln.CVSSScore == 0 || key == scoreKeys[0]):
				if n, err := strconv.ParseFloat(val, 64); err == nil {
					e.V().CVSSScore = n
				}
			}
		}
		if e.Vuln != nil && e.Vuln.Severity == "" {
			e.Vuln.Severity = "unknown"
		}
		aws.CompleteECRImage(e)
		emit(e)
	}
	for _, x := range enhanced {
		e := base()
		e.Action = "found"
		enhancedFinding.Apply(x, e)
		if r := aws.Region(e.Dest); r != "" {
			e.Region = r
		}
		aws.CompleteECRImage(e)
		emit(e)
	}
	return nil
}

func has(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// Mappings implements source.Format.
func (Format) Mappings() []source.Mapping {
	m := envelope.Mappings()
	m = append(m,
		source.Mapping{Field: "dataset", Source: "detail-type and detail.action-type, by the event table"},
		source.Mapping{Field: "action", Source: "detail-type and detail.action-type, by the event table (push, delete, scan, pull, replicate, modify)"},
		source.Mapping{Field: "severity", Source: "detail.finding-severity-counts | imageScanFindings.findingSeverityCounts: the highest severity with findings (scan events)"},
		source.Mapping{Field: "msg", Source: "detail.finding-severity-counts | imageScanFindings.findingSeverityCounts: the counts, e.g. CRITICAL 10, MEDIUM 9 (scan events)"},
		source.Mapping{Field: "registry", Source: "account (or registryId) + .dkr.ecr.<region>.amazonaws.com when the region is known"},
		source.Mapping{Field: "image", Source: "registry/repository@image_digest, or :tag without a digest"},
		source.Mapping{Field: "resource_uri", Source: "the image reference (scan events and basic findings)"},
	)
	seen := map[string]bool{} // rows of one detail type share their fields
	for _, op := range ops.Rows() {
		if seen[op.Service] {
			continue
		}
		seen[op.Service] = true
		for _, f := range op.Fields.Compile().Mappings() {
			m = append(m, source.Mapping{Field: f.Field, Source: f.Source + " — " + op.Service})
		}
	}
	for _, f := range scanRepository.Mappings() {
		m = append(m, source.Mapping{Field: f.Field, Source: "detail.repositories[]." + f.Source + " — ECR Scan Resource Change"})
	}
	for _, c := range []*source.Compiled{scanResult, scanSummary} {
		for _, f := range c.Mappings() {
			m = append(m, source.Mapping{Field: f.Field, Source: f.Source + " — DescribeImageScanFindings"})
		}
	}
	for _, f := range basicFinding.Mappings() {
		m = append(m, source.Mapping{Field: f.Field, Source: "imageScanFindings.findings[]." + f.Source})
	}
	m = append(m,
		source.Mapping{Field: "package", Source: "imageScanFindings.findings[].attributes package_name"},
		source.Mapping{Field: "installed_version", Source: "imageScanFindings.findings[].attributes package_version"},
		source.Mapping{Field: "cvss_score", Source: "imageScanFindings.findings[].attributes CVSS3_SCORE | CVSS2_SCORE"},
	)
	for _, f := range enhancedFinding.Mappings() {
		m = append(m, source.Mapping{Field: f.Field, Source: "imageScanFindings.enhancedFindings[]." + f.Source})
	}
	return m
}
