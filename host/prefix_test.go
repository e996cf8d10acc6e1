package host_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/demhost/demhost/host"
)

func TestValidatePrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"", true}, {"qa1_", true}, {"demo-", true}, {"t1a2b3c_", true}, {"a.b", true}, {"flt_all_", true},
		{"é_", true}, {strings.Repeat("a", host.MaxPrefixLength), true},
		{"QA_", false}, {"Ä_", false}, {"qÄ", false},
		{"_qa", false}, {"-qa", false}, {"+qa", false}, {".qa", false}, {".", false}, {"..", false},
		{"q a", false}, {"q,a", false}, {"q#a", false}, {"q:a", false}, {`q\a`, false}, {"q/a", false},
		{"q*a", false}, {"q?a", false}, {`q"a`, false}, {"q<a", false}, {"q>a", false}, {"q|a", false},
		{"q\ta", false}, {"q\na", false}, {"q\x00a", false}, {"q\x7fa", false},
		{strings.Repeat("a", host.MaxPrefixLength+1), false},
	}
	for _, tt := range tests {
		err := host.ValidatePrefix(tt.prefix)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePrefix(%q) = %v, want ok=%v", tt.prefix, err, tt.ok)
		}
		var pe *host.PrefixError
		if err != nil && (!errors.As(err, &pe) || pe.Prefix != tt.prefix || pe.Reason == "") {
			t.Errorf("ValidatePrefix(%q) = %#v, want a *PrefixError naming the prefix and a reason", tt.prefix, err)
		}
	}
}
