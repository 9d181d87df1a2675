package delivery

import "encoding/json"

// appendRecord appends a record to a JSON line: as it is when it is
// valid JSON (an encoded alert), else as a JSON string.
func appendRecord(b, rec []byte) []byte {
	if json.Valid(rec) {
		return append(b, rec...)
	}
	q, _ := json.Marshal(string(rec))
	return append(b, q...)
}
