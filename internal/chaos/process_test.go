package chaos_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildConnector builds cmd/lgsp-connector into dir and returns the
// binary's path. The module root comes from `go env GOMOD`, so the test
// works from any directory.
func buildConnector(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD (is the go command on PATH?): %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if strings.TrimSpace(string(gomod)) == "" || root == "." {
		return "", errors.New("go env GOMOD is empty: run the test inside the lgsp-connector module")
	}
	bin := filepath.Join(dir, "lgsp-connector")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/lgsp-connector")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/lgsp-connector in %s: %w\n%s", root, err, out)
	}
	return bin, nil
}

// child is one connector process.
type child struct {
	n       int
	cmd     *exec.Cmd
	logPath string
	started time.Time
	done    chan struct{} // closed when the process has exited
	err     error         // Wait's result, valid once done is closed
}

// startChild runs `bin run --config cfgPath`, stdout and stderr into
// dir/child-NN.log. The connector's LGSP_* overlay variables are removed
// from its environment: the configuration file alone decides.
func startChild(t *testing.T, bin, cfgPath, dir string, n int) *child {
	t.Helper()
	c := &child{n: n, logPath: filepath.Join(dir, fmt.Sprintf("child-%02d.log", n)), done: make(chan struct{})}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(bin, "run", "--config", cfgPath)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LGSP_") {
			c.cmd.Env = append(c.cmd.Env, kv)
		}
	}
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start connector %d: %v", n, err)
	}
	c.started = time.Now()
	go func() {
		c.err = c.cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	// Never leave a connector behind, whatever happens to the test.
	t.Cleanup(func() {
		if !c.exited() {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone. It reports
// false when the process had already exited on its own.
func (c *child) kill(t *testing.T) bool {
	t.Helper()
	if c.exited() {
		return false
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !c.exited() {
		t.Fatalf("kill connector %d (pid %d): %v", c.n, c.cmd.Process.Pid, err)
	}
	<-c.done
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	// It exited by itself between the check and the signal.
	return false
}

// stop asks the process to shut down (SIGTERM, as a service manager would)
// and waits up to grace for it to exit.
func (c *child) stop(t *testing.T, grace time.Duration) error {
	t.Helper()
	if c.exited() {
		return fmt.Errorf("connector %d had already exited: %v", c.n, c.err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("connector %d: SIGTERM: %w", c.n, err)
	}
	select {
	case <-c.done:
		return c.err
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("connector %d did not stop within %s of SIGTERM", c.n, grace)
	}
}

// tail returns the last lines of the child's output.
func (c *child) tail(lines int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return fmt.Sprintf("(no output: %v)", err)
	}
	all := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}

// waitFor polls cond every tick until it holds, the child exits, or the
// deadline passes. It reports whether cond held.
func waitFor(ctx context.Context, c *child, tick time.Duration, cond func() bool) bool {
	t := time.NewTicker(tick)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-c.done:
			return cond()
		case <-t.C:
		}
	}
	return true
}
