package pipeline

import (
	"math"
	"math/rand/v2"
)

// syntheticColumns are the columns of a Synthetic source, in order.
var syntheticColumns = []string{"price", "bid", "ask", "size", "volume"}

// syntheticStocks are the symbols a Synthetic source trades: a start price in
// dollars and a per-tick volatility (standard deviation of the log return).
var syntheticStocks = []struct {
	symbol string
	price  float64
	vol    float64
}{
	{"AAPL", 190, 0.0004},
	{"MSFT", 420, 0.0004},
	{"GOOGL", 170, 0.0005},
	{"AMZN", 185, 0.0005},
	{"NVDA", 120, 0.0009},
	{"META", 500, 0.0006},
	{"TSLA", 250, 0.0010},
	{"BRK.B", 410, 0.0002},
	{"JPM", 200, 0.0004},
	{"V", 275, 0.0003},
	{"JNJ", 155, 0.0003},
	{"WMT", 68, 0.0003},
	{"PG", 165, 0.0003},
	{"XOM", 115, 0.0004},
	{"UNH", 520, 0.0004},
	{"HD", 350, 0.0004},
	{"MA", 460, 0.0003},
	{"BAC", 39, 0.0005},
	{"KO", 62, 0.0002},
	{"DIS", 100, 0.0005},
}

// syntheticFloor is the price below which a Synthetic price is reflected
// back up, so that a long run never rounds a price to zero cents.
const syntheticFloor = 1.0

// Synthetic is an endless Source of made-up ticks for 20 well-known US stocks.
// Each tick picks a symbol uniformly at random and moves its price by one step
// of a geometric Brownian motion with no drift (a martingale), so prices wander
// plausibly and stay positive. The columns are:
//
//   - price: the trade price, in dollars, rounded to cents
//   - bid, ask: quotes around price, a spread of 1 to 5 basis points (at least
//     a cent each side), so bid < price < ask
//   - size: the shares traded this tick, a multiple of 100
//   - volume: the shares traded in the symbol so far, including this tick
//
// The same seed gives the same ticks. A Synthetic is not safe for concurrent
// use; Next never returns an error.
type Synthetic struct {
	rng    *rand.Rand
	stocks []synthStock
	values []Value
}

type synthStock struct {
	symbol string
	level  float64 // unrounded price
	vol    float64
	volume int64
}

// NewSynthetic returns a Synthetic source seeded with seed.
func NewSynthetic(seed int64) *Synthetic {
	s := &Synthetic{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x5eed_0f_7e_5707_c45)),
		stocks: make([]synthStock, len(syntheticStocks)),
		values: make([]Value, len(syntheticColumns)),
	}
	for i, st := range syntheticStocks {
		s.stocks[i] = synthStock{symbol: st.symbol, level: st.price, vol: st.vol}
	}
	return s
}

// Columns returns price, bid, ask, size and volume.
func (s *Synthetic) Columns() []string { return syntheticColumns }

// Next moves one random symbol and returns its tick. The values are reused
// by the next call.
func (s *Synthetic) Next() (string, []Value, error) {
	st := &s.stocks[s.rng.IntN(len(s.stocks))]

	// One GBM step: log return ~ N(-σ²/2, σ²), so E[price] is constant.
	st.level *= math.Exp(st.vol*s.rng.NormFloat64() - st.vol*st.vol/2)
	if st.level < syntheticFloor {
		st.level = syntheticFloor * syntheticFloor / st.level
	}

	// Work in whole cents so that bid < price < ask holds exactly.
	price := int64(math.Round(st.level * 100))
	spreadBps := 1 + 4*s.rng.Float64()
	half := max(1, int64(math.Round(float64(price)*spreadBps/2/10000)))
	bid, ask := price-half, price+half

	// Most trades are a round lot or a few; now and then a block.
	size := 100 * (1 + int64(s.rng.ExpFloat64()*4))
	st.volume += size

	s.values[0] = Float(float64(price) / 100)
	s.values[1] = Float(float64(bid) / 100)
	s.values[2] = Float(float64(ask) / 100)
	s.values[3] = Int(size)
	s.values[4] = Int(st.volume)
	return st.symbol, s.values, nil
}
