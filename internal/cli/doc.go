// Package cli is the demhost command line: cobra commands that parse flags,
// build a host.Host from package config, run one action and print it.
package cli
