package loadgen

import (
	"net/url"
	"strings"
	"sync"

	"github.com/parlorhq/parlor/client"
)

// closeConcurrency bounds how many clients CloseAll closes at a time.
const closeConcurrency = 64

// CloseAll closes every client that is not nil, several at a time.
func CloseAll(clients []*client.Client) {
	sem := make(chan struct{}, closeConcurrency)
	var wg sync.WaitGroup
	for _, c := range clients {
		if c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_ = c.Close()
		})
	}
	wg.Wait()
}

// UserURL adds the user query parameter that loopback.AuthenticateQuery
// reads to a server's WebSocket URL.
func UserURL(base, user string) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "user=" + url.QueryEscape(user)
}
