// Package sigma parses Sigma rules (specification v2) and compiles
// detection rules to matchers over any document type.
//
// # Loading
//
// ParseFile reads a YAML file of one or several rules ("---" separated),
// keeping the line and column of everything, and returns each problem as an
// *Error ("file:line:col: rule ID: reason"); a bad rule does not stop the
// others. Anything the engine could not honour is rejected rather than
// ignored: unknown modifiers or modifier combinations that mean nothing,
// conditions naming missing selections, Sigma v1 aggregations
// ("| count() by ...") and "near", v1 rule collections (action: global),
// filter documents, unknown correlation types, malformed timespans, regular
// expressions RE2 cannot run (lookaround, backreferences), invalid CIDR
// networks, non-numeric values for numeric comparisons. Top-level keys
// without a Rule field (related, license, scope, taxonomy, vigil's tests...)
// are kept in Rule.Extra.
//
// # Detection
//
// A selection is a map (its entries ANDed), a list of maps (ORed) or a list
// of keywords (ORed, searched anywhere in the text Resolver.Keywords
// gives). A list of values for a field is ORed, or ANDed with "all". The
// condition supports and, or, not, parentheses, "1 of", "any of" and "all
// of" a name pattern with * wildcards or "them" (every selection whose name
// does not start with "_"), with not binding tighter than and, and and than
// or. A list of conditions is ORed.
//
// Values: strings are compared case-insensitively unless "cased", with the
// wildcards * (any text) and ? (one character) and the escapes \*, \? and
// \\ (a backslash before any other character is literal). A number matches
// a Number field of that value and a String field that spells it (as
// written, or as a number of equal value). A boolean matches a field whose
// text is true or false. null matches an absent or null field; the empty
// string matches an empty or null field. A list-valued field matches when
// one of its elements does.
//
// Modifiers (all of the specification's):
//
//   - contains, startswith, endswith; all; cased; exists (true/false).
//   - neq: the field is present and does not match the values as they
//     would match without neq (so "f|neq: [a, b]" means f is neither a
//     nor b).
//   - re, with the flags i, m, s (also ignorecase, multiline, dotall): a Go
//     RE2 expression, matched anywhere in the value and case-sensitive
//     unless i.
//   - base64, base64offset (the three forms the text takes at each offset
//     in longer base64 text), utf16le (wide), utf16be, utf16 (with a byte
//     order mark), windash (every permutation of -, /, en dash, em dash and
//     horizontal bar at each dash): transformations applied in the order
//     written. Base64 text is compared case-sensitively.
//   - cidr: IPv4 or IPv6 network (a bare address is a network of one);
//     IPv4-mapped IPv6 addresses match IPv4 networks.
//   - lt, lte, gt, gte: numeric comparison with a Number field or a String
//     one that is a number.
//   - minute, hour, day, week (ISO), month, year: the part of a timestamp
//     field (RFC 3339-like text read as written, or Unix seconds or
//     milliseconds), compared for equality or with lt/lte/gt/gte.
//   - expand: %name% placeholders replaced by each of
//     Options.Placeholders[name] (Sigma strings: wildcards apply; with
//     cidr, networks); \% is a plain percent sign. A placeholder without
//     values fails compilation.
//   - fieldref: the value names another field of the same event, compared
//     for equality (or with contains, startswith, endswith; cased; neq).
//
// # Compiling and matching
//
// Compile prepares everything once — case-folding, encodings, placeholder
// expansion, CIDR parsing, regular expressions, the getters from the
// Resolver — so that Matcher.Match only compares, without allocating. Long
// lists of literal patterns for one field are matched in one pass by an
// automaton (Aho-Corasick for contains, tries for the others); conjunctions
// and disjunctions try their cheapest children first. Matcher.Prefilter
// gives a field and the values it must equal for the rule to match, so that
// an engine can index its rules; Matcher.Fields lists the fields a rule
// reads.
//
// # Correlation
//
// A correlation rule (type event_count, value_count, temporal,
// temporal_ordered, value_sum, value_avg, value_percentile) is parsed into
// Rule.Correlation for the engine to evaluate: rules, group-by, timespan
// (a whole number and a unit s, m, h, d or w), aliases, generate (in the
// correlation section, or at the top level), and a condition of exactly
// one comparison (gt, gte, lt, lte, eq, neq; a range is rejected: chain two
// rules) with a field for the value_* types. value_percentile's condition
// also needs "percentile" (0 to 100), in Threshold.Percentile: the
// condition compares that percentile of the field's values.
//
// vigil adds the type new_value: it fires the first time a group-by tuple
// (at least one group-by field) is seen after a learning period, during
// which the tuples seen are only learnt. The period is the correlation's
// `learning` key (a timespan such as 14d; only new_value takes it), else
// its timespan. It takes no condition.
package sigma
