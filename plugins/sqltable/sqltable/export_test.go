package sqltable

// WithQueryHook has f see the SQL and arguments of every statement that
// reads rows (each keyset page, or a partition's one statement), before it
// runs. Tests use it to read the plans of the exact queries.
func WithQueryHook(f func(sql string, args []any)) Option {
	return func(s *Source) { s.onQuery = f }
}

// PageSession is the setting the plugin makes on a connection that reads
// keyset pages; a test explaining the pages makes it too.
const PageSession = pageSession
