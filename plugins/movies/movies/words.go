package movies

// Vocabularies of the synthetic generator. Every entry is plain ASCII with
// no character that JSON must escape, so the generator appends them as is.
var (
	firstNames = [...]string{
		"Ada", "Alan", "Alice", "Amir", "Ana", "Andre", "Anna", "Ben",
		"Bruno", "Carla", "Chen", "Clara", "Dario", "David", "Diana", "Elena",
		"Emil", "Emma", "Eva", "Felix", "Fatima", "Grace", "Hana", "Hugo",
		"Ines", "Ivan", "Jack", "Jana", "Jonas", "Julia", "Kai", "Karim",
		"Lara", "Leo", "Lina", "Lucas", "Maya", "Marco", "Maria", "Mateo",
		"Mia", "Nadia", "Nikolai", "Nina", "Noah", "Olga", "Omar", "Paul",
		"Priya", "Rafael", "Rosa", "Ruth", "Sam", "Sara", "Sofia", "Tariq",
		"Theo", "Tomas", "Uma", "Vera", "Victor", "Yara", "Yusuf", "Zoe",
	}
	lastNames = [...]string{
		"Abbott", "Alvarez", "Andersen", "Baker", "Bauer", "Becker", "Bianchi", "Brooks",
		"Carter", "Castro", "Chang", "Costa", "Dubois", "Dunn", "Ellis", "Evans",
		"Fischer", "Fontaine", "Garcia", "Gray", "Hall", "Hansen", "Hayes", "Ito",
		"Jensen", "Kaur", "Keller", "Kim", "Klein", "Kowalski", "Larsen", "Lee",
		"Lopez", "Marin", "Meyer", "Mori", "Morgan", "Nakamura", "Novak", "Okafor",
		"Olsen", "Park", "Patel", "Perez", "Quinn", "Reyes", "Rossi", "Russo",
		"Sato", "Schmidt", "Silva", "Singh", "Stone", "Suzuki", "Tanaka", "Torres",
		"Varga", "Vogel", "Walsh", "Weber", "Wright", "Young", "Zhang", "Zimmer",
	}
	adjectives = [...]string{
		"Silent", "Last", "Broken", "Golden", "Hidden", "Long", "Dark", "Bright",
		"Lost", "Final", "Frozen", "Burning", "Quiet", "Wild", "Secret", "Distant",
		"Crimson", "Hollow", "Iron", "Electric", "Endless", "Fallen", "Midnight", "Northern",
		"Paper", "Restless", "Savage", "Shining", "Sleeping", "Velvet", "Wandering", "Young",
	}
	nouns = [...]string{
		"River", "City", "Garden", "Empire", "Island", "Road", "Storm", "Winter",
		"Summer", "Kingdom", "Mirror", "Harbor", "Mountain", "Station", "Shadow", "Horizon",
		"Letter", "Promise", "Machine", "Frontier", "Circus", "Desert", "Forest", "Lighthouse",
		"Orchard", "Planet", "Signal", "Symphony", "Tide", "Valley", "Voyage", "Witness",
	}
	suffixes  = [...]string{" II", " III", " Returns", " Reborn"}
	genreList = [...]string{
		"Action", "Adventure", "Animation", "Biography", "Comedy", "Crime", "Documentary", "Drama",
		"Family", "Fantasy", "History", "Horror", "Music", "Musical", "Mystery", "Romance",
		"Sci-Fi", "Sport", "Thriller", "War", "Western",
	}
	countryList = [...]string{
		"United States", "United Kingdom", "France", "Germany", "Italy", "Spain", "Japan", "South Korea",
		"India", "China", "Brazil", "Mexico", "Canada", "Australia", "Sweden", "Denmark",
		"Poland", "Nigeria", "Argentina", "Iran",
	}
	languageList = [...]string{
		"English", "French", "German", "Italian", "Spanish", "Japanese", "Korean", "Hindi",
		"Mandarin", "Cantonese", "Portuguese", "Russian", "Swedish", "Danish", "Polish", "Arabic",
		"Persian", "Yoruba", "Turkish", "Greek",
	}
	ratingList = [...]string{"G", "PG", "PG-13", "R", "NC-17", "Not Rated"}
	// summaryWords are the filler words of the synthetic summary: exactly 128,
	// so that one word is 7 random bits.
	summaryWords = [...]string{
		"a", "an", "the", "and", "but", "while", "after", "before", "when", "until",
		"young", "old", "retired", "reluctant", "gifted", "stubborn", "lonely", "ambitious",
		"detective", "teacher", "pilot", "doctor", "musician", "farmer", "soldier", "thief",
		"journalist", "scientist", "sailor", "painter", "family", "town", "village", "city",
		"ship", "train", "island", "border", "war", "winter", "summer", "night", "storm",
		"secret", "letter", "map", "debt", "promise", "crime", "fortune", "stranger", "friend",
		"brother", "sister", "mother", "father", "daughter", "son", "rival", "partner",
		"finds", "loses", "returns", "discovers", "hides", "follows", "escapes", "confronts",
		"protects", "betrays", "remembers", "builds", "chases", "searches", "joins", "leaves",
		"across", "under", "beyond", "inside", "against", "through", "with", "without",
		"dangerous", "forgotten", "strange", "quiet", "broken", "distant", "hidden", "final",
		"love", "truth", "home", "past", "future", "hope", "courage", "revenge", "silence",
		"music", "journey", "game", "dream", "memory", "heist", "mission", "trial", "legacy",
		"river", "garden", "mountain", "desert", "harbor", "station", "festival", "wedding", "funeral",
		"election", "storm", "fire", "flood", "machine", "robot", "planet", "signal", "voyage",
	}
)

// A compile-time check that summaryWords has exactly 128 entries.
var _ [128]struct{} = [len(summaryWords)]struct{}{}
