// Package ingest reads log input — files, directories, gzip files and
// standard input — splits it into records, unwraps generic envelopes
// ({"Records":[...]}, {"records":[...]}, JSON arrays, Pub/Sub push
// messages), detects each record's format and hands it to that format for
// normalization. Bad input is reported with file, line and reason, counted,
// and never stops the run.
package ingest
