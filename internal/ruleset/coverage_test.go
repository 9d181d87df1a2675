package ruleset

import (
	"reflect"
	"testing"
)

func TestCloudGaps(t *testing.T) {
	cov := []TacticCoverage{{Tactic: "credential_access", Techniques: []Technique{
		{ID: "T1110", Platforms: map[string][]string{"aws": {"a"}}},
		{ID: "T1110.001", Platforms: map[string][]string{"azure": {"b"}}},
		{ID: "T1552.005", Platforms: map[string][]string{"aws": {"c"}}},
		{ID: "T1530", Platforms: map[string][]string{"any": {"d"}}},
		{ID: "T1609", Platforms: map[string][]string{"kubernetes": {"e"}}},
	}}}
	na := map[string]map[string]string{"T1552.005": {"azure": "no signal"}}
	got := CloudGaps(cov, na)
	want := []Gap{
		// A sub-technique's rules cover its parent, not the reverse.
		{ID: "T1110", Covered: []string{"aws", "azure"}, Missing: []string{"gcp"}},
		{ID: "T1110.001", Covered: []string{"azure"}, Missing: []string{"aws", "gcp"}},
		{ID: "T1552.005", Covered: []string{"aws"}, Missing: []string{"gcp"}, NotApplicable: map[string]string{"azure": "no signal"}},
		// T1530 (any platform) has no gap; T1609 is not a cloud technique.
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CloudGaps:\n got %+v\nwant %+v", got, want)
	}
}
