"""Manager dashboard: campaign funnel, post detail, viewers and segments, leaderboard."""
