package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/golang/protobuf/proto"

	ratelimitv1 "plugboard/ratelimit/v1"
)

// The ratelimit set's calls for -mode services: a rule set that activates, one that is refused,
// checks that run each rule's budget out, and Stats that must agree with all of them. The plugin
// process is new, so every counter starts at zero and every answer is known in advance.

// hourMs is the rules' window. An hour keeps each budget where the checks left it for the length
// of a run: the token bucket refills one token in 20 minutes, and a sliding window's slot boundary
// is unlikely to fall inside a run (and crossing it would not change the answers below).
const hourMs = 3600 * 1000

// activeRules is rule set version 1; it must activate.
var activeRules = &ratelimitv1.RuleSet{Version: 1, Rules: []*ratelimitv1.Rule{
	{Id: "api-tokens", Resource: "api/*", Key: "*", Threshold: 3, WindowMs: hourMs,
		Strategy: ratelimitv1.Strategy_STRATEGY_TOKEN_BUCKET},
	{Id: "login-window", Resource: "login", Key: "*", Threshold: 2, WindowMs: hourMs,
		Strategy: ratelimitv1.Strategy_STRATEGY_SLIDING_WINDOW},
}}

// refusedRules is version 2 with one invalid rule (threshold 0); version 1 must stay active.
var refusedRules = &ratelimitv1.RuleSet{Version: 2, Rules: []*ratelimitv1.Rule{
	{Id: "zero", Resource: "api/*", Key: "*", Threshold: 0, WindowMs: hourMs,
		Strategy: ratelimitv1.Strategy_STRATEGY_TOKEN_BUCKET},
}}

// expectedCheck is one Check (cost 1) and the answer it must get under activeRules.
type expectedCheck struct {
	resource, key string
	allowed       bool
	remaining     uint64
	rule          string // matched_rule_id; empty when no rule matches
}

// rateLimitChecks run in order; each key's budget carries over from the checks before it.
var rateLimitChecks = []expectedCheck{
	{"api/orders", "client-a", true, 2, "api-tokens"},
	{"api/orders", "client-a", true, 1, "api-tokens"},
	{"api/users", "client-a", true, 0, "api-tokens"}, // another resource of the rule: the same budget
	{"api/orders", "client-a", false, 0, "api-tokens"},
	{"api/orders", "client-b", true, 2, "api-tokens"}, // another key: a budget of its own
	{"login", "alice", true, 1, "login-window"},
	{"login", "alice", true, 0, "login-window"},
	{"login", "alice", false, 0, "login-window"},
	{"health", "client-a", true, math.MaxUint64, ""}, // no rule: allowed, unlimited
}

// expectedStats is what Stats must report after rateLimitChecks.
var expectedStats = &ratelimitv1.StatsResponse{
	ActiveVersion: 1, Checks: 9, Allowed: 7, Denied: 2,
	Rules: []*ratelimitv1.RuleStats{
		{RuleId: "api-tokens", Allowed: 4, Denied: 1, TrackedKeys: 2},
		{RuleId: "login-window", Allowed: 2, Denied: 1, TrackedKeys: 1},
	},
}

// exerciseRateLimiter makes the ratelimit calls, counting each checked answer in r.Calls and the
// checks' verdicts in r.Allowed and r.Denied.
func exerciseRateLimiter(ctx context.Context, limiter ratelimitv1.RateLimiterClient, r *servicesResult) error {
	if err := applyActiveRules(ctx, limiter); err != nil {
		return err
	}
	r.Calls++
	if err := applyRefusedRules(ctx, limiter); err != nil {
		return err
	}
	r.Calls++
	for i, want := range rateLimitChecks {
		if err := check(ctx, limiter, want); err != nil {
			return fmt.Errorf("check %d of %d: %v", i+1, len(rateLimitChecks), err)
		}
		r.Calls++
		if want.allowed {
			r.Allowed++
		} else {
			r.Denied++
		}
	}
	stats, err := limiter.Stats(ctx, &ratelimitv1.StatsRequest{})
	if err != nil {
		return fmt.Errorf("Stats: %v", err)
	}
	if !proto.Equal(stats, expectedStats) {
		return fmt.Errorf("Stats: got {%s}, want {%s}", proto.CompactTextString(stats), proto.CompactTextString(expectedStats))
	}
	r.Calls++
	return nil
}

// applyActiveRules applies activeRules, which must activate without rejections.
func applyActiveRules(ctx context.Context, limiter ratelimitv1.RateLimiterClient) error {
	resp, err := limiter.ApplyRules(ctx, &ratelimitv1.ApplyRulesRequest{RuleSet: activeRules})
	if err != nil {
		return fmt.Errorf("ApplyRules v1: %v", err)
	}
	if want := (&ratelimitv1.ApplyRulesResponse{Applied: true, ActiveVersion: 1}); !proto.Equal(resp, want) {
		return fmt.Errorf("ApplyRules v1: got {%s}, want {%s}", proto.CompactTextString(resp), proto.CompactTextString(want))
	}
	return nil
}

// applyRefusedRules applies refusedRules, which must be refused for its rule's threshold alone,
// leaving version 1 active.
func applyRefusedRules(ctx context.Context, limiter ratelimitv1.RateLimiterClient) error {
	resp, err := limiter.ApplyRules(ctx, &ratelimitv1.ApplyRulesRequest{RuleSet: refusedRules})
	if err != nil {
		return fmt.Errorf("ApplyRules v2: %v", err)
	}
	refusedForThreshold := len(resp.Rejections) == 1 && resp.Rejections[0].RuleId == "zero" &&
		resp.Rejections[0].Index == 0 && strings.Contains(resp.Rejections[0].Reason, "threshold")
	if resp.Applied || resp.ActiveVersion != 1 || !refusedForThreshold {
		return fmt.Errorf("ApplyRules v2: got {%s}, want it refused (version 1 still active) with one rejection, "+
			"of rule \"zero\" at index 0 for its threshold", proto.CompactTextString(resp))
	}
	return nil
}

// check makes one Check and compares the answer with want. A denial must say when to retry: after
// 0 ms would be no denial, and no rule here needs more than two windows to allow one unit again.
func check(ctx context.Context, limiter ratelimitv1.RateLimiterClient, want expectedCheck) error {
	got, err := limiter.Check(ctx, &ratelimitv1.CheckRequest{Resource: want.resource, Key: want.key, Cost: 1})
	if err != nil {
		return fmt.Errorf("Check %s %s: %v", want.resource, want.key, err)
	}
	retryOK, wantRetry := got.RetryAfterMs == 0, "0"
	if !want.allowed {
		retryOK, wantRetry = got.RetryAfterMs > 0 && got.RetryAfterMs <= 2*hourMs, "in (0, 2 h]"
	}
	if got.Allowed != want.allowed || got.Remaining != want.remaining || got.MatchedRuleId != want.rule ||
		got.RuleSetVersion != 1 || !retryOK {
		return fmt.Errorf("Check %s %s: got {%s}, want allowed=%v remaining=%d matched_rule_id=%q rule_set_version=1 "+
			"retry_after_ms %s", want.resource, want.key, proto.CompactTextString(got),
			want.allowed, want.remaining, want.rule, wantRetry)
	}
	return nil
}
