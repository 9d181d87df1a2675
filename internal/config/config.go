// Package config reads vigil's configuration file (YAML, --config FILE):
// where alerts go (outputs), each with its spool. It is checked as a whole
// when it is loaded, and every problem is reported with the file, the
// line and the key's path (outputs[2].url: ...). Secrets come from files
// or environment variables named in it, never from the file itself or
// the command line. docs/CONFIG.md documents every key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the configuration file.
type Config struct {
	// DeliveryDeadline is how long vigil scan waits for its alerts to be
	// confirmed by the outputs before it exits (default 2 minutes).
	DeliveryDeadline time.Duration
	Outputs          []Output
}

// Output is one alert destination.
type Output struct {
	Name       string
	Type       string // a type components.Outputs knows: webhook, splunk_hec, ...
	URL        string
	MinLevel   string // alerts below it are not sent (default informational: all)
	Format     string // json (default; ecs for elasticsearch), ecs or ocsf
	Index      string
	Source     string
	Sourcetype string
	Headers    map[string]string
	// InsecureHTTP allows plain http to a host that is not this machine.
	InsecureHTTP bool
	Spool        Spool
	// Secret is the token or signing key, read from TokenFile or TokenEnv.
	Secret string
	// Where says where the output is declared: "FILE:LINE: outputs[i]".
	Where string
}

// Spool is an output's spool.
type Spool struct {
	Dir      string
	MaxBytes int64  // 0: no cap
	WhenFull string // block (default) or drop_oldest
	Sync     string // batch (default), always or never
}

// The file's shape, as YAML keys.
type fileOutput struct {
	Name         string            `yaml:"name"`
	Type         string            `yaml:"type"`
	URL          string            `yaml:"url"`
	TokenFile    string            `yaml:"token_file"`
	TokenEnv     string            `yaml:"token_env"`
	MinLevel     string            `yaml:"min_level"`
	Format       string            `yaml:"format"`
	Index        string            `yaml:"index"`
	Source       string            `yaml:"source"`
	Sourcetype   string            `yaml:"sourcetype"`
	Headers      map[string]string `yaml:"headers"`
	InsecureHTTP bool              `yaml:"insecure_http"`
	Spool        struct {
		Dir      string `yaml:"dir"`
		MaxBytes string `yaml:"max_bytes"`
		WhenFull string `yaml:"when_full"`
		Sync     string `yaml:"sync"`
	} `yaml:"spool"`
}

// Problems is every problem of a configuration file.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

var levels = map[string]bool{"": true, "informational": true, "low": true, "medium": true, "high": true, "critical": true}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Load reads and checks the configuration file at path; types are the
// output types vigil has (components.OutputTypes).
func Load(path string, types []string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, types)
}

// Parse checks the configuration in data, read from file.
func Parse(file string, data []byte, types []string) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	cfg := &Config{DeliveryDeadline: 2 * time.Minute}
	var probs Problems
	at := func(n *yaml.Node, path, format string, args ...any) {
		probs = append(probs, fmt.Sprintf("%s:%d: %s: %s", file, n.Line, path, fmt.Sprintf(format, args...)))
	}
	if len(root.Content) == 0 {
		return cfg, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		at(doc, "(top)", "want a mapping of keys")
		return nil, probs
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		switch k.Value {
		case "delivery_deadline":
			d, err := time.ParseDuration(v.Value)
			if err != nil || d < 0 {
				at(v, "delivery_deadline", "want a duration such as 2m")
				continue
			}
			cfg.DeliveryDeadline = d
		case "outputs":
			if v.Kind != yaml.SequenceNode {
				at(v, "outputs", "want a list")
				continue
			}
			for j, n := range v.Content {
				p := fmt.Sprintf("outputs[%d]", j)
				var fo fileOutput
				if err := decodeStrict(n, &fo); err != nil {
					at(n, p, "%v", err)
					continue
				}
				o, errs := check(fo, types)
				for _, e := range errs {
					at(n, p+"."+e.key, "%s", e.msg)
				}
				if len(errs) > 0 {
					continue
				}
				if seen[o.Name] {
					at(n, p+".name", "%q is the name of an earlier output", o.Name)
					continue
				}
				seen[o.Name] = true
				o.Where = fmt.Sprintf("%s:%d: %s", file, n.Line, p)
				cfg.Outputs = append(cfg.Outputs, o)
			}
		default:
			at(k, k.Value, "unknown key (delivery_deadline, outputs)")
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return cfg, nil
}

// decodeStrict decodes n into v, refusing keys v does not have.
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(v); err != nil {
		// yaml's message names lines of the re-encoded node: keep its
		// reason only.
		msg := err.Error()
		if i := strings.Index(msg, "field "); i >= 0 {
			msg = msg[i:]
		}
		return errors.New(strings.TrimPrefix(msg, "yaml: "))
	}
	return nil
}

type keyErr struct{ key, msg string }

func check(fo fileOutput, types []string) (Output, []keyErr) {
	var errs []keyErr
	bad := func(key, format string, args ...any) { errs = append(errs, keyErr{key, fmt.Sprintf(format, args...)}) }
	o := Output{Name: fo.Name, Type: fo.Type, URL: fo.URL, MinLevel: strings.ToLower(fo.MinLevel), Format: fo.Format,
		Index: fo.Index, Source: fo.Source, Sourcetype: fo.Sourcetype, Headers: fo.Headers, InsecureHTTP: fo.InsecureHTTP,
		Spool: Spool{Dir: fo.Spool.Dir, WhenFull: fo.Spool.WhenFull, Sync: fo.Spool.Sync}}
	if !nameRE.MatchString(o.Name) {
		bad("name", "want a name of letters, digits, '_', '.' or '-' (it names the output in metrics and logs)")
	}
	known := false
	for _, t := range types {
		known = known || t == o.Type
	}
	if !known {
		bad("type", "%q: want one of %s", o.Type, strings.Join(types, ", "))
	}
	if !levels[o.MinLevel] {
		bad("min_level", "%q: want informational, low, medium, high or critical", fo.MinLevel)
	}
	switch o.Format {
	case "":
		o.Format = "json"
		if o.Type == "elasticsearch" {
			o.Format = "ecs"
		}
	case "json", "ecs", "ocsf":
	default:
		bad("format", "%q: want json, ecs or ocsf", o.Format)
	}
	switch {
	case fo.TokenFile != "" && fo.TokenEnv != "":
		bad("token_file", "give token_file or token_env, not both")
	case fo.TokenFile != "":
		b, err := os.ReadFile(fo.TokenFile)
		if err != nil {
			bad("token_file", "%v", err)
		} else if o.Secret = strings.TrimSpace(string(b)); o.Secret == "" {
			bad("token_file", "%s is empty", fo.TokenFile)
		}
	case fo.TokenEnv != "":
		if o.Secret = os.Getenv(fo.TokenEnv); o.Secret == "" {
			bad("token_env", "the environment variable %s is not set", fo.TokenEnv)
		}
	}
	if o.Spool.Dir == "" {
		bad("spool.dir", "required: the directory alerts wait in until the destination confirms them")
	}
	if fo.Spool.MaxBytes != "" {
		n, err := ParseBytes(fo.Spool.MaxBytes)
		if err != nil {
			bad("spool.max_bytes", "%v", err)
		}
		o.Spool.MaxBytes = n
	}
	switch o.Spool.WhenFull {
	case "", "block", "drop_oldest":
	default:
		bad("spool.when_full", "%q: want block or drop_oldest", o.Spool.WhenFull)
	}
	switch o.Spool.Sync {
	case "", "batch", "always", "never":
	default:
		bad("spool.sync", "%q: want batch, always or never", o.Spool.Sync)
	}
	return o, errs
}

// ParseBytes reads a size: a number of bytes with an optional unit (KB,
// MB, GB: powers of 1000; KiB, MiB, GiB: powers of 1024).
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q: want a size such as 1GiB or 500MB", s)
	}
	return n * mult, nil
}
