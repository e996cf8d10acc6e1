package movies

import (
	"slices"
	"strconv"
)

// AppendJSON renders a movie from fragments made once at start-up: every
// vocabulary entry together with the JSON punctuation around it (quotes,
// the comma after a list item, the space after a summary word), and every
// possible year and running time together with the keys around them. Each
// fragment is padded to a fixed size, so that appending one is a single
// fixed-size copy into spare capacity, not a call to memmove; the cursor
// then advances by the fragment's real length. The output is byte for byte
// what appendTitle, appendList and appendSummary write (see the tests).

// word is a fragment of at most 16 bytes: names and summary words.
type word struct {
	b [16]byte
	n int
}

// frag is a fragment of at most 48 bytes.
type frag struct {
	b [48]byte
	n int
}

func mkWord(s string) (w word) {
	if len(s) > len(w.b) {
		panic("movies: word fragment too long: " + s) // vocabularies are fixed at build time; covered by tests
	}
	w.n = copy(w.b[:], s)
	return w
}

func mkFrag(s string) (f frag) {
	if len(s) > len(f.b) {
		panic("movies: fragment too long: " + s) // vocabularies are fixed at build time; covered by tests
	}
	f.n = copy(f.b[:], s)
	return f
}

// putWord copies w to b[n:] and returns the new end. b must have at least
// 16 bytes from n.
func putWord(b []byte, n int, w *word) int {
	*(*[16]byte)(b[n : n+16]) = w.b
	return n + w.n
}

// putFrag copies f to b[n:] and returns the new end. b must have at least
// 48 bytes from n.
func putFrag(b []byte, n int, f *frag) int {
	*(*[48]byte)(b[n : n+48]) = f.b
	return n + f.n
}

const (
	firstYear, nYears       = 1920, 105
	firstRuntime, nRuntimes = 70, 131
	// maxMovieBytes bounds one rendered movie plus the padding of its
	// last fragment: a title under 100 bytes, 14 names under 20, lists
	// under 150, three keyed fragments of 48, 120 summary words of 11.
	maxMovieBytes = 2560
)

// fragments is every pre-rendered piece of a synthetic movie.
type fragments struct {
	theAdj, adjSp [len(adjectives)]frag // "The Silent ", "Silent "
	noun, theNoun [len(nouns)]frag      // "River", "The River"
	ofThe, andThe [len(nouns)]frag      // " of the River", " and the River"
	suffix        [len(suffixes)]frag
	year          [nYears]frag          // `","year":1987,"directors":[`
	runtime       [nRuntimes]frag       // `],"runtime_minutes":95,"countries":[`
	first         [len(firstNames)]word // `"Ada `
	last          [len(lastNames)]word  // `Abbott",`
	genre         [len(genreList)]word  // `"Drama",`
	country       [len(countryList)]frag
	language      [len(languageList)]word
	rating        [len(ratingList)]frag   // `],"rating":"PG","summary":"`
	summary       [len(summaryWords)]word // "word "
	cast, genres  word                    // `],"cast":[`, `],"genres":[`
	languages     word                    // `],"languages":[`
}

var frags = newFragments()

func newFragments() *fragments {
	f := &fragments{}
	for i, s := range adjectives {
		f.theAdj[i], f.adjSp[i] = mkFrag("The "+s+" "), mkFrag(s+" ")
	}
	for i, s := range nouns {
		f.noun[i], f.theNoun[i] = mkFrag(s), mkFrag("The "+s)
		f.ofThe[i], f.andThe[i] = mkFrag(" of the "+s), mkFrag(" and the "+s)
	}
	for i, s := range suffixes {
		f.suffix[i] = mkFrag(s)
	}
	for i := range f.year {
		f.year[i] = mkFrag(`","year":` + strconv.Itoa(firstYear+i) + `,"directors":[`)
	}
	for i := range f.runtime {
		f.runtime[i] = mkFrag(`],"runtime_minutes":` + strconv.Itoa(firstRuntime+i) + `,"countries":[`)
	}
	for i, s := range firstNames {
		f.first[i] = mkWord(`"` + s + " ")
	}
	for i, s := range lastNames {
		f.last[i] = mkWord(s + `",`)
	}
	for i, s := range genreList {
		f.genre[i] = mkWord(`"` + s + `",`)
	}
	for i, s := range countryList {
		f.country[i] = mkFrag(`"` + s + `",`)
	}
	for i, s := range languageList {
		f.language[i] = mkWord(`"` + s + `",`)
	}
	for i, s := range ratingList {
		f.rating[i] = mkFrag(`],"rating":"` + s + `","summary":"`)
	}
	for i, s := range summaryWords {
		f.summary[i] = mkWord(s + " ")
	}
	f.cast, f.genres, f.languages = mkWord(`],"cast":[`), mkWord(`],"genres":[`), mkWord(`],"languages":[`)
	return f
}

// putNames writes names as list items, each followed by a comma. The
// caller overwrites the last comma (n-1) by the fragment that follows,
// which starts with the closing ']'.
func putNames(b []byte, n int, idx []int) int {
	f := frags
	for _, k := range idx {
		n = putWord(b, n, &f.first[k/len(lastNames)])
		n = putWord(b, n, &f.last[k%len(lastNames)])
	}
	return n
}

// AppendJSON appends the document source of synthetic movie i to dst and
// returns the extended buffer. It writes the same fields, in the same
// order, as encoding/json would for Movie(i), without reflection.
func (g *Generator) AppendJSON(dst []byte, i int) []byte {
	d := g.roll(i)
	f := frags
	start := len(dst)
	b := slices.Grow(dst, maxMovieBytes)
	b = b[:cap(b)]
	n := start + copy(b[start:], `{"title":"`)
	switch d.titlePattern {
	case 0:
		n = putFrag(b, n, &f.theAdj[d.titleWords[0]])
		n = putFrag(b, n, &f.noun[d.titleWords[1]])
	case 1:
		n = putFrag(b, n, &f.noun[d.titleWords[1]])
		n = putFrag(b, n, &f.ofThe[d.titleWords[2]])
	case 2:
		n = putFrag(b, n, &f.adjSp[d.titleWords[0]])
		n = putFrag(b, n, &f.noun[d.titleWords[1]])
	default:
		n = putFrag(b, n, &f.theNoun[d.titleWords[1]])
		n = putFrag(b, n, &f.andThe[d.titleWords[2]])
	}
	if d.suffix >= 0 {
		n = putFrag(b, n, &f.suffix[d.suffix])
	}
	n = putFrag(b, n, &f.year[d.year-firstYear])
	n = putNames(b, n, d.directors[:d.nDirectors])
	n = putWord(b, n-1, &f.cast)
	n = putNames(b, n, d.cast[:d.nCast])
	n = putWord(b, n-1, &f.genres)
	for _, k := range d.genres[:d.nGenres] {
		n = putWord(b, n, &f.genre[k])
	}
	n = putFrag(b, n-1, &f.runtime[d.runtime-firstRuntime])
	for _, k := range d.countries[:d.nCountries] {
		n = putFrag(b, n, &f.country[k])
	}
	n = putWord(b, n-1, &f.languages)
	for _, k := range d.languages[:d.nLanguages] {
		n = putWord(b, n, &f.language[k])
	}
	n = putFrag(b, n-1, &f.rating[d.rating])
	left := d.nSummary
	for _, pool := range d.summary[:(left+8)/9] {
		for range min(left, 9) {
			n = putWord(b, n, &f.summary[pool&127])
			pool >>= 7
		}
		left -= 9
	}
	// The last word's space becomes the full stop.
	n += copy(b[n-1:], `."}`) - 1
	return b[:n]
}
