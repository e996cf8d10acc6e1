// Command sqltable is the demhost source plugin that serves any Postgres
// table or view as an index. See plugins/sqltable/README.md.
package main

import (
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

func main() { sdk.Serve(sqltable.New()) }
