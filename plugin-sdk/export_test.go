package sdk

// ServeWithoutBatchSocket makes the served source ignore the host's batch
// socket, as a plugin built before it existed does.
func ServeWithoutBatchSocket() ServeOpt {
	return func(o *serveOptions) error {
		o.noBatchSocket = true
		return nil
	}
}

// BatchSocketStreams counts the streams a host read from a batch socket.
func BatchSocketStreams() int64 { return batchSocketStreams.Load() }
