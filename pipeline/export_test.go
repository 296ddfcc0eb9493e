package pipeline

import "github.com/aws/aws-sdk-go-v2/aws"

// SetClaimsPage makes sinks list claims n at a time until undo is called.
func SetClaimsPage(n int32) (undo func()) {
	old := claimsPage
	claimsPage = aws.Int32(n)
	return func() { claimsPage = old }
}
