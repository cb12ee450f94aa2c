#pragma once
// Who is at the other end of a local status connection, and whom each end believes (DESIGN
// "Local status", "Who may reach what"). The credentials differ in kind between the platforms
// (uid and groups; a token's SIDs), so this is the one place that picks the platform's
// declarations; code that only passes a policy along (gatelinkctl) uses the names both share:
// PeerCredentials, StatusAccessPolicy, ServerTrustPolicy::for_agent_user, kStatusGroupName,
// kAgentUserName.

#if defined(_WIN32)
#include "peer_credentials_windows.hpp"
#else
#include "peer_credentials_unix.hpp"
#endif
