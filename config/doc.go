// Package config loads and validates demhost's configuration with viper:
// demhost.yaml, then DEMHOST_* environment variables, then flags. Only this
// package and the CLI touch viper.
package config
