// Shared by the signed-in devices and refresh token tests: User-Agents, and a person in two families.
import assert from 'node:assert/strict';

export const CHROME_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
export const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0';
export const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/**
 * Sam is the primary of North; South's primary (Tess) invites Sam's address and Sam accepts with
 * the password they have. Returns {staff, north, south, sam: {email, password, north, south}}
 * where sam.north / sam.south are {guardianId, token} of the sessions the acceptances began.
 */
export async function samInNorthAndSouth(portal, slug) {
  const org = await portal.createOrganization(slug);
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const primary = async (name, first) => {
    const email = `${first.toLowerCase()}@${slug}.test`;
    const family = await portal.createFamily(slug, staff, name, { first_name: first, last_name: name, email });
    const sent = await portal.request('POST', `/office/${slug}/api/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
    assert.equal(sent.status, 202, sent.text);
    const accepted = await portal.accept(slug, await portal.linkToken(email, 'invitation'), `${first}-password-1`);
    assert.equal(accepted.status, 200, accepted.text);
    return { family, email, password: `${first}-password-1`, guardianId: family.primary_guardian_id, token: accepted.body.token };
  };
  const north = await primary('North', 'Sam');
  const south = await primary('South', 'Tess');
  const added = await portal.request('POST', `/portal/${slug}/api/guardians`, {
    token: south.token,
    json: { first_name: 'Sam', last_name: 'North', email: north.email },
  });
  assert.equal(added.status, 201, added.text);
  const sent = await portal.request('POST', `/portal/${slug}/api/guardians/${added.body.id}/invitation`, { token: south.token });
  assert.equal(sent.status, 202, sent.text);
  const [mail] = await portal.waitForMail(north.email, (m) => m.kind === 'invitation' && /South/.test(m.text));
  const link = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(mail.text)[1];
  const accepted = await portal.accept(slug, link, north.password);
  assert.equal(accepted.status, 200, accepted.text);
  const sam = {
    email: north.email,
    password: north.password,
    north: { guardianId: north.guardianId, token: north.token },
    south: { guardianId: added.body.id, token: accepted.body.token },
  };
  return { staff, north, south, sam };
}
