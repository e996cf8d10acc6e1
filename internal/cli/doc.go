// Package cli is the demhost command line: cobra commands that parse flags,
// build a host.Host from package config, run one action and print it.
//
// Output: tables (or JSON with -o json) go to stdout; progress, messages and
// errors go to stderr. An error is one line, "demhost: " and one sentence
// naming the index, version, key, URL or path concerned, with secrets
// redacted. A panic is recovered and printed as one line too.
//
// Exit codes:
//
//	0  success.
//	1  an action failed: the engine or a plugin failed mid-action, some
//	   documents were rejected (host.ErrDocumentsFailed), a lock was held,
//	   or the action was interrupted by SIGINT/SIGTERM (host.ErrInterrupted;
//	   the action is recorded as interrupted). `plugins` exits 1 when a
//	   plugin does not start, after listing every plugin. An internal error
//	   (a recovered panic) is also 1.
//	2  a usage or configuration error, before anything changed: bad flags
//	   or arguments, an unknown index or version name, a bad config file
//	   or value, a missing plugin binary or a plugin that will not start or
//	   rejects its config, an engine that cannot be reached, a registry
//	   that cannot be opened, and a dangerous-reset that was not confirmed.
//
// Signals: the first SIGINT or SIGTERM cancels the command's context, so
// the host stops reading, flushes, records the action as interrupted and
// releases its lock; demhost then exits 1. A second signal kills demhost
// at once (default signal handling is restored after the first).
//
// Only the commands that need them open the engine and start the plugins:
// history opens only the registry, plugins starts only the plugins.
package cli
