// Package proto holds the Go code generated from ../../proto/source.proto by
// `make proto`. Only package sdk uses it; plugin authors never see it.
package proto
