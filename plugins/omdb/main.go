// Command omdb is a demhost source plugin. See plugins/omdb/README or the
// project README.
package main

func main() {}
