// Command sqltable is a demhost source plugin. See plugins/sqltable/README or the
// project README.
package main

func main() {}
