package service

import (
	"testing"
	"time"
)

func TestForcedCollectionsAreRateLimited(t *testing.T) {
	now := time.Now().Add(time.Hour) // past anything another test forced
	if !collect(now) {
		t.Fatal("the first forced collection was skipped")
	}
	if collect(now.Add(GCInterval / 2)) {
		t.Errorf("a second collection %v after the first ran; want it skipped", GCInterval/2)
	}
	if !collect(now.Add(GCInterval)) {
		t.Errorf("a collection %v after the first was skipped", GCInterval)
	}
}
