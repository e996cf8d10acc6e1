package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// DemhostRun is contender A for one round: a demhost.yaml in Dir naming
// the movies plugin with n synthetic movies, a SQLite registry in Dir, and
// the environment prefix Prefix, so every round works on its own alias
// <Prefix>movies.
type DemhostRun struct {
	Demhost string // path of bin/demhost
	Plugin  string // path of bin/demhost-plugin-movies
	URL     string // engine
	Dir     string // a fresh temporary directory
	Prefix  string
	N       int
	Seed    uint64
	Workers int
	Batch   int
	// DSN and Table, when Table is set, make the run read that Postgres
	// table through the sqltable plugin (Plugin is then
	// bin/demhost-plugin-sqltable) as the index "movies", instead of
	// generating movies.
	DSN, Table string
	// Paging, when set, is the sqltable plugin's paging key (auto,
	// keyset, off); empty leaves the plugin's default.
	Paging string
}

// Alias is the alias that demhost points at the version it creates.
func (d DemhostRun) Alias() string { return d.Prefix + "movies" }

func (d DemhostRun) config() string {
	if d.Table != "" {
		c := fmt.Sprintf("plugins:\n  - name: sqltable\n    path: %s\n    config:\n      dsn: %s\n      table: %s\n      index: movies\n      id_column: id\n",
			strconv.Quote(d.Plugin), strconv.Quote(d.DSN), strconv.Quote(d.Table))
		if d.Paging != "" {
			c += "      paging: " + strconv.Quote(d.Paging) + "\n"
		}
		return c
	}
	return fmt.Sprintf("plugins:\n  - name: movies\n    path: %s\n    config:\n      synthetic: %d\n      seed: %d\n",
		strconv.Quote(d.Plugin), d.N, d.Seed)
}

func (d DemhostRun) command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	full := append([]string{"--config", filepath.Join(d.Dir, "demhost.yaml")}, args...)
	cmd := exec.CommandContext(ctx, d.Demhost, full...)
	cmd.Env = append(os.Environ(),
		"DEMHOST_ENGINE_URL="+d.URL,
		"DEMHOST_ENV_PREFIX="+d.Prefix,
		"DEMHOST_REGISTRY="+filepath.Join(d.Dir, "registry.db"),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// Prepare writes the configuration and runs `demhost create movies` and
// `demhost activate movies`, outside the timer.
func (d DemhostRun) Prepare(ctx context.Context) error {
	if err := os.WriteFile(filepath.Join(d.Dir, "demhost.yaml"), []byte(d.config()), 0o644); err != nil {
		return fmt.Errorf("demhost: write config: %w", err)
	}
	for _, step := range []string{"create", "activate"} {
		cmd, out := d.command(ctx, step, "movies")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("demhost %s movies (prefix %s): %w\n%s", step, d.Prefix, err, out)
		}
	}
	return nil
}

// Update runs `demhost update movies --workers W --batch-size B` and
// measures the whole command (see RunWhole).
func (d DemhostRun) Update(ctx context.Context) (Sample, error) {
	cmd, out := d.command(ctx, "update", "movies",
		"--workers", strconv.Itoa(d.Workers), "--batch-size", strconv.Itoa(d.Batch))
	s, err := RunWhole(ctx, cmd)
	if err != nil {
		return Sample{}, fmt.Errorf("demhost update movies (prefix %s): %w\n%s", d.Prefix, err, out)
	}
	s.Docs = int64(d.N)
	return s, nil
}

// OrphanedProcesses returns the pids of running processes whose executable
// is path and whose parent is init: a plugin that demhost did not wait for,
// whose CPU would then be missing from demhost's rusage.
func OrphanedProcesses(path string) []int {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != abs {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		if i := bytes.LastIndexByte(stat, ')'); i > 0 {
			f := strings.Fields(string(stat[i+1:]))
			if len(f) > 1 && f[1] == "1" {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
