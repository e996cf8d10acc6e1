package engine

import "time"

// SetTaskPatience sets how long polls of a task may fail in a row before
// e gives the task up (task.go), for tests that would not wait 30 s.
func SetTaskPatience(e Engine, d time.Duration) { e.(*adapter).taskPatience = d }
