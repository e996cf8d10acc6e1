// Command movies is a demhost source plugin. See plugins/movies/README or the
// project README.
package main

func main() {}
