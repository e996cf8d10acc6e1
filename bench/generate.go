package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Generate calls fn with n deterministic synthetic movies for seed, in id
// order. The source slice is reused after fn returns.
//
// PLACEHOLDER until plugins/movies exposes its generator: contender A
// indexes what the plugin sends, so the corpus must come from the same
// function, byte for byte.
func Generate(n int, seed int64, fn func(id string, source []byte) error) error {
	words := []string{"night", "river", "city", "last", "summer", "iron", "glass", "north", "silent", "red", "garden", "storm"}
	genres := []string{"Drama", "Comedy", "Thriller", "Western", "Documentary", "Animation", "Romance", "Crime"}
	r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	var b []byte
	for i := 1; i <= n; i++ {
		id := "m" + strconv.Itoa(i)
		b = b[:0]
		b = append(b, `{"title":"`...)
		b = append(b, words[r.IntN(len(words))]...)
		b = append(b, ' ')
		b = append(b, words[r.IntN(len(words))]...)
		b = fmt.Appendf(b, ` %d","year":%d,"runtime":%d,"rating":%.1f,"genres":["%s","%s"],"cast":[`,
			i, 1920+r.IntN(105), 70+r.IntN(120), float64(r.IntN(100))/10, genres[r.IntN(len(genres))], genres[r.IntN(len(genres))])
		for c := 0; c < 12; c++ {
			if c > 0 {
				b = append(b, ',')
			}
			b = fmt.Appendf(b, `{"name":"Actor %d","role":"%s %s"}`, r.IntN(100000), words[r.IntN(len(words))], words[r.IntN(len(words))])
		}
		b = fmt.Appendf(b, `],"directors":["Director %d"],"country":"C%d","language":"L%d","tagline":"`, r.IntN(5000), r.IntN(60), r.IntN(40))
		for len(b) < 1000 {
			b = append(b, words[r.IntN(len(words))]...)
			b = append(b, ' ')
		}
		b = append(b, `"}`...)
		if err := fn(id, b); err != nil {
			return err
		}
	}
	return nil
}

// MoviesMapping is the mapping every contender's index gets. PLACEHOLDER
// until the movies plugin's Describe is used.
const MoviesMapping = `{"properties":{"title":{"type":"text"},"year":{"type":"integer"},` +
	`"runtime":{"type":"integer"},"rating":{"type":"float"},"genres":{"type":"keyword"},` +
	`"cast":{"properties":{"name":{"type":"text"},"role":{"type":"text"}}},"directors":{"type":"text"},` +
	`"country":{"type":"keyword"},"language":{"type":"keyword"},"tagline":{"type":"text"}}}`
