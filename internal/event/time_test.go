package event

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // RFC 3339 in UTC; "" for no time
	}{
		{"2026-10-14T08:05:01Z", "2026-10-14T08:05:01Z"},
		{"2026-10-14T08:05:01.123456789Z", "2026-10-14T08:05:01.123456789Z"},
		{"2026-10-14T08:05:01.5+02:00", "2026-10-14T06:05:01.5Z"},
		{"2026-10-14T08:05:01-05:30", "2026-10-14T13:35:01Z"},
		{"2019-01-01 00:00:00.123", "2019-01-01T00:00:00.123Z"},
		{"2019-01-01 00:00:00", "2019-01-01T00:00:00Z"},
		{"2019-01-01T00:00:00", "2019-01-01T00:00:00Z"},
		{"2019-01-01 00:00:00 UTC", "2019-01-01T00:00:00Z"},
		{"1/2/2024 3:04:05 PM", "2024-01-02T15:04:05Z"},
		{"3/14/2024 10:05:31 AM", "2024-03-14T10:05:31Z"},
		{"12/3/2024 1:05:31.25 PM", "2024-12-03T13:05:31.25Z"},
		{"3/14/2024, 10:05:31.123 AM", "2024-03-14T10:05:31.123Z"},
		{"3/14/2024 10:05:31 pm", "2024-03-14T22:05:31Z"},
		{"1700000000", "2023-11-14T22:13:20Z"},
		{"1700000000.25", "2023-11-14T22:13:20.25Z"},
		{"1697286400.456", "2023-10-14T12:26:40.456Z"},
		{"1697286400456", "2023-10-14T12:26:40.456Z"},
		{"1697286400456789", "2023-10-14T12:26:40.456789Z"},
		{"1697286400456789123", "2023-10-14T12:26:40.456789123Z"},
		{"2026-02-30T00:00:00Z", ""},
		{"2026-13-01T00:00:00Z", ""},
		{"2026-10-14T24:00:00Z", ""},
		{"2026-10-14T08:05:01.Z", ""},
		{"redacted", ""},
		{"", ""},
	} {
		got, ok := ParseTime(c.in)
		s := ""
		if ok {
			s = got.Format(time.RFC3339Nano)
		}
		if s != c.want {
			t.Errorf("ParseTime(%q) = %q, want %q", c.in, s, c.want)
		}
	}
}

// FuzzParseISO checks the allocation-free parser against time.Parse.
func FuzzParseISO(f *testing.F) {
	for _, s := range []string{"2026-10-14T08:05:01Z", "2026-10-14 08:05:01.123456", "2026-10-14T08:05:01.5+02:00", "2026-02-29T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseISO(s)
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			// The space-separated and zone-less shapes RFC 3339 lacks.
			if want, err = time.Parse("2006-01-02 15:04:05.999999999Z07:00", s); err != nil {
				if want, err = time.Parse("2006-01-02T15:04:05.999999999", s); err != nil {
					want, err = time.Parse("2006-01-02 15:04:05.999999999", s)
				}
			}
		}
		if err != nil {
			t.Fatalf("parseISO(%q) = %v, time.Parse fails: %v", s, got, err)
		}
		if !got.Equal(want) {
			t.Fatalf("parseISO(%q) = %v, time.Parse = %v", s, got, want)
		}
	})
}
