package poll

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestWithinReturnsOnceTheConditionHolds(t *testing.T) {
	n := 0
	err := Within(time.Minute, func() error {
		if n++; n < 3 {
			return fmt.Errorf("check %d", n)
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("Within = %v after %d checks; want nil after 3", err, n)
	}
}

func TestWithinReturnsTheLastErrorAtTheLimit(t *testing.T) {
	n := 0
	err := Within(0, func() error { n++; return errors.New("never") })
	if err == nil || err.Error() != "never" || n != 1 {
		t.Errorf("Within(0) = %v after %d checks; want the condition's error after 1", err, n)
	}
}
