package movies

import (
	"iter"
	"math/bits"
	"math/rand/v2"
	"strconv"
)

// SyntheticIDPrefix starts the id of every synthetic movie: "syn-0", "syn-1", …
const SyntheticIDPrefix = "syn-"

// SyntheticID is the document id of synthetic movie i.
func SyntheticID(i int) string { return SyntheticIDPrefix + strconv.Itoa(i) }

// draw is the random choices that make synthetic movie i, as indexes into
// the vocabularies, so that rendering allocates nothing.
type draw struct {
	titlePattern int
	titleWords   [3]int
	suffix       int // -1: none
	year         int
	runtime      int
	nDirectors   int
	directors    [2]int // index into firstNames*lastNames
	nCast        int
	cast         [12]int
	nGenres      int
	genres       [3]int
	nCountries   int
	countries    [2]int
	nLanguages   int
	languages    [3]int
	rating       int
	nSummary     int
	// summary holds the summary's words 7 bits each, nine to a draw,
	// lowest bits first.
	summary [14]uint64
}

// Generator makes synthetic movies. Movie i depends only on the seed and i,
// so any subset (a partition) can be generated without the others, and the
// same seed always gives the same movies. A Generator is not safe for
// concurrent use; make one per goroutine.
type Generator struct {
	seed uint64
	pcg  rand.PCG
	d    draw
}

// NewGenerator returns a generator for seed.
func NewGenerator(seed uint64) *Generator { return &Generator{seed: seed} }

// intN is rand.New(&g.pcg).IntN(n) for n > 0, the same draws and the same
// result, without the interface call to the source.
func (g *Generator) intN(n int) int {
	u := uint64(n)
	if u&(u-1) == 0 {
		return int(g.pcg.Uint64() & (u - 1))
	}
	hi, lo := bits.Mul64(g.pcg.Uint64(), u)
	if lo < u {
		thresh := -u % u
		for lo < thresh {
			hi, lo = bits.Mul64(g.pcg.Uint64(), u)
		}
	}
	return int(hi)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// pickDistinct fills dst with distinct indexes below n.
func (g *Generator) pickDistinct(dst []int, n int) {
	for k := range dst {
	again:
		v := g.intN(n)
		for _, prev := range dst[:k] {
			if prev == v {
				goto again
			}
		}
		dst[k] = v
	}
}

func (g *Generator) roll(i int) *draw {
	g.pcg.Seed(splitmix(g.seed^splitmix(uint64(i))), splitmix(uint64(i)+g.seed))
	d := &g.d
	d.titlePattern = g.intN(4)
	d.titleWords = [3]int{g.intN(len(adjectives)), g.intN(len(nouns)), g.intN(len(nouns))}
	d.suffix = -1
	if g.intN(10) == 0 {
		d.suffix = g.intN(len(suffixes))
	}
	d.year = 1920 + g.intN(105)
	d.runtime = 70 + g.intN(131)
	d.nDirectors = 1
	if g.intN(10) == 0 {
		d.nDirectors = 2
	}
	names := len(firstNames) * len(lastNames)
	for k := range d.nDirectors {
		d.directors[k] = g.intN(names)
	}
	d.nCast = 4 + g.intN(9)
	g.pickDistinct(d.cast[:d.nCast], names)
	d.nGenres = 1 + g.intN(3)
	g.pickDistinct(d.genres[:d.nGenres], len(genreList))
	d.nCountries = 1 + g.intN(2)
	g.pickDistinct(d.countries[:d.nCountries], len(countryList))
	d.nLanguages = 1 + g.intN(3)
	g.pickDistinct(d.languages[:d.nLanguages], len(languageList))
	d.rating = g.intN(len(ratingList))
	d.nSummary = 60 + g.intN(61)
	for k := range (d.nSummary + 8) / 9 {
		d.summary[k] = g.pcg.Uint64()
	}
	return d
}

func appendTitle(b []byte, d *draw) []byte {
	adj, n1, n2 := adjectives[d.titleWords[0]], nouns[d.titleWords[1]], nouns[d.titleWords[2]]
	switch d.titlePattern {
	case 0:
		b = append(append(append(append(b, "The "...), adj...), ' '), n1...)
	case 1:
		b = append(append(append(b, n1...), " of the "...), n2...)
	case 2:
		b = append(append(append(b, adj...), ' '), n1...)
	default:
		b = append(append(append(append(b, "The "...), n1...), " and the "...), n2...)
	}
	if d.suffix >= 0 {
		b = append(b, suffixes[d.suffix]...)
	}
	return b
}

func appendName(b []byte, k int) []byte {
	b = append(b, firstNames[k/len(lastNames)]...)
	b = append(b, ' ')
	return append(b, lastNames[k%len(lastNames)]...)
}

func appendSummary(b []byte, d *draw) []byte {
	for k := range d.nSummary {
		if k > 0 {
			b = append(b, ' ')
		}
		b = append(b, summaryWords[d.summary[k/9]>>(7*(k%9))&127]...)
	}
	return append(b, '.')
}

// appendList appends a JSON array of strings rendered by item.
func appendList(b []byte, key string, idx []int, item func([]byte, int) []byte) []byte {
	b = append(append(append(b, ",\""...), key...), "\":["...)
	for k, v := range idx {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(item(append(b, '"'), v), '"')
	}
	return append(b, ']')
}

func fromList(list []string) func([]byte, int) []byte {
	return func(b []byte, k int) []byte { return append(b, list[k]...) }
}

func names(idx []int, item func([]byte, int) []byte) []string {
	out := make([]string, len(idx))
	var buf []byte
	for k, v := range idx {
		buf = item(buf[:0], v)
		out[k] = string(buf)
	}
	return out
}

// Movie returns synthetic movie i as a struct. It allocates; the hot path
// for documents is AppendJSON.
func (g *Generator) Movie(i int) Movie {
	d := g.roll(i)
	return Movie{
		ID:             SyntheticID(i),
		Title:          string(appendTitle(nil, d)),
		Year:           d.year,
		Directors:      names(d.directors[:d.nDirectors], appendName),
		Cast:           names(d.cast[:d.nCast], appendName),
		Genres:         names(d.genres[:d.nGenres], fromList(genreList[:])),
		RuntimeMinutes: d.runtime,
		Countries:      names(d.countries[:d.nCountries], fromList(countryList[:])),
		Languages:      names(d.languages[:d.nLanguages], fromList(languageList[:])),
		Rating:         ratingList[d.rating],
		Summary:        string(appendSummary(nil, d)),
	}
}

// PartitionRange returns the positions [lo, hi) of partition k of n over
// count items: contiguous ranges, as sdk.StreamRequest asks. An engine
// pays for scattered ids: with partitions taken every n-th position, a
// distributed update's 96 slices cost Elasticsearch 7-10% more CPU per
// document than contiguous ones (1,000,000 movies). The host reads
// several partitions of a few streams in turn so that the streams move
// side by side.
func PartitionRange(count, k, n int) (lo, hi int) {
	return count * k / n, count * (k + 1) / n
}

// Generate yields the ids and document sources of synthetic movies 0 to
// n-1 for seed, in order, in constant memory. The source bytes are reused:
// they are valid only until the loop body returns.
func Generate(n int, seed uint64) iter.Seq2[string, []byte] {
	return GeneratePartition(n, seed, 0, 1)
}

// GeneratePartition is Generate restricted to partition k of n: the movies
// of one contiguous range of positions (see PartitionRange).
func GeneratePartition(n int, seed uint64, partition, partitions int) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		g := NewGenerator(seed)
		var buf []byte
		lo, hi := PartitionRange(n, partition, partitions)
		for i := lo; i < hi; i++ {
			buf = g.AppendJSON(buf[:0], i)
			if !yield(SyntheticID(i), buf) {
				return
			}
		}
	}
}
