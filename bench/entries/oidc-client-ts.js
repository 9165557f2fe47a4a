// Whole login with oidc-client-ts's UserManager.
import { UserManager } from "oidc-client-ts";
const mgr = new UserManager({ authority: "https://api.expensicat.com", client_id: "demo-client", redirect_uri: "https://app.example/cb", scope: "transactions:read", response_type: "code" });
export const start = () => mgr.signinRedirect();
export const finish = () => mgr.signinRedirectCallback().then(() => mgr.signinSilent());
