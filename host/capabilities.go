package host

import (
	"context"
	"fmt"
	"strings"
)

// This file words what the engine lacks: the analysis components a schema
// names (checked before a version is created), and the server-side APIs
// that clear and migrate use, so that their action logs say which path
// they took (the engine adapter falls back by itself; see
// engine.Capabilities).

// MissingAnalysisError is returned by Create when a schema names analysis
// components (analyzers, tokenizers, token or char filters) that the
// engine does not have, such as those of Elasticsearch's analysis-common
// module. Nothing is created.
type MissingAnalysisError struct {
	Index   string
	Engine  string   // e.g. "elasticsearch 8.19.21 at http://127.0.0.1:9204"
	Missing []string // e.g. "analyzer folded: failed to find global filter under [asciifolding]"
}

func (e *MissingAnalysisError) Error() string {
	return fmt.Sprintf("the schema of %s uses analysis that the engine (%s) does not have: %s; "+
		"install the module or plugin that provides it (for Elasticsearch, analysis-common), or change the schema",
		e.Index, e.Engine, strings.Join(e.Missing, "; "))
}

// checkAnalysis fails with a *MissingAnalysisError when schema names
// analysis components the engine lacks.
func (h *Host) checkAnalysis(ctx context.Context, index string, schema []byte) error {
	missing, err := h.eng.MissingAnalysis(ctx, schema)
	if err != nil {
		return fmt.Errorf("check the analysis of the schema of %s: %w", index, err)
	}
	if len(missing) == 0 {
		return nil
	}
	e := &MissingAnalysisError{Index: index, Engine: "unknown engine", Missing: missing}
	if info, err := h.eng.Info(ctx); err == nil {
		e.Engine = fmt.Sprintf("%s %s at %s", info.Kind, info.Version, info.URL)
	}
	return e
}

// deletePath words how a clear deletes, for its action log.
func (h *Host) deletePath(ctx context.Context) string {
	caps, err := h.eng.Capabilities(ctx)
	switch {
	case err != nil:
		return "" // the delete itself asks again and fails with the reason
	case caps.DeleteByQuery:
		return "with the engine's _delete_by_query"
	}
	return "by scrolling the ids and sending bulk deletes, since the engine has no _delete_by_query"
}

// copyPath words how a migrate copies, for its action log, and says
// whether the copy is a server-side task (which an interruption cancels
// in the cluster) rather than demhost's own requests.
func (h *Host) copyPath(ctx context.Context) (how string, task bool) {
	caps, err := h.eng.Capabilities(ctx)
	switch {
	case err != nil:
		return "", true
	case caps.Reindex:
		return "on the server with _reindex", true
	}
	return "by scrolling the source and sending bulk index requests, since the engine has no _reindex", false
}
