/**
 * An organization's people, for its owners and admins: the members and
 * their roles, invitations (a link shown once), and pending ones revoked.
 */
import { useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { EmptyState, TableScroll } from '../components.jsx';
import { formatDay } from '../format.js';
import { Outcome, useChanges } from '../operator/organization-section.jsx';
import { roleLabel } from '../session.js';

/** @typedef {import('../types').Role} Role */
/** @typedef {import('../types').Member} Member */
/** @typedef {import('../types').PendingInvitation} PendingInvitation */

/** What this section reads of the organization. */
export const teamFields = 'members { user { id email name } role joinedAt } invitations { id email role createdAt expiresAt }';

/**
 * @param {{ organization: { id: string, name: string, members: Member[], invitations: PendingInvitation[] }, viewerRole: Role, request: import('../types').Request, reload: () => Promise<void> }} props
 *   `viewerRole`: only an owner invites owners
 */
export function TeamSection({ organization, viewerRole, request, reload }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState(/** @type {Role} */ ('MEMBER'));
  const [link, setLink] = useState(/** @type {{ email: string, url: string } | null} */ (null));
  const [confirming, setConfirming] = useState(/** @type {string | null} */ (null));
  const { run, status, error } = useChanges(reload);
  const id = useId();
  const roles = /** @type {Role[]} */ (viewerRole === 'OWNER' ? ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] : ['ADMIN', 'MEMBER', 'VIEWER']);

  /** @param {SubmitEvent} event */
  const invite = (event) => {
    event.preventDefault();
    const address = email.trim();
    void run(async () => {
      /** @type {{ inviteUser: { token: string, email: string } }} */
      const { inviteUser } = await request('mutation Invite($o: ID!, $email: String!, $role: Role!) { inviteUser(organizationId: $o, email: $email, role: $role) { token email } }', {
        o: organization.id,
        email: address,
        role,
      });
      setLink({ email: inviteUser.email, url: `${location.origin}/dashboard#invitation=${encodeURIComponent(inviteUser.token)}` });
      setEmail('');
    }, `${address} invited as ${roleLabel(role)}.`);
  };

  /** @param {PendingInvitation} invitation */
  const revoke = (invitation) =>
    run(async () => {
      await request('mutation($id: ID!) { revokeInvitation(id: $id) }', { id: invitation.id });
      setConfirming(null);
    }, `The invitation of ${invitation.email} is revoked.`);

  return (
    <section class="card" aria-labelledby={`${id}-title`} data-team>
      <div class="card-header">
        <h2 id={`${id}-title`}>People</h2>
        <span class="count">{organization.members.length}</span>
      </div>
      <TableScroll label="Members">
        <table class="table table-stack" data-members>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
            </tr>
          </thead>
          <tbody>
            {organization.members.map((member) => (
              <tr key={member.user.id} data-member={member.user.email} data-role={member.role}>
                <th scope="row">
                  {member.user.name ? (
                    <>
                      {member.user.name} <span class="muted small">{member.user.email}</span>
                    </>
                  ) : (
                    member.user.email
                  )}
                </th>
                <td data-label="Role">{roleLabel(member.role)}</td>
                <td data-label="Joined">{formatDay(member.joinedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <form class="grid-form" onSubmit={invite} noValidate>
        <h3>Invite someone</h3>
        <div class="field">
          <label for={`${id}-email`}>Email to invite</label>
          <input id={`${id}-email`} type="email" autocomplete="off" spellcheck={false} value={email} onInput={(event) => setEmail(event.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={`${id}-role`}>Their role</label>
          <select id={`${id}-role`} value={role} onChange={(event) => setRole(/** @type {Role} */ (event.currentTarget.value))}>
            {roles.map((option) => (
              <option key={option} value={option}>
                {roleLabel(option)}
              </option>
            ))}
          </select>
        </div>
        <div class="grid-form-wide">
          <button class="button button-primary" type="submit">
            Invite
          </button>
        </div>
      </form>
      <Outcome status={status} error={error} />
      {link && <InvitationLink email={link.email} url={link.url} onDismiss={() => setLink(null)} />}
      {organization.invitations.length === 0 ? (
        <EmptyState title="No pending invitations" />
      ) : (
        <TableScroll label="Pending invitations">
          <table class="table table-stack" data-invitations>
            <thead>
              <tr>
                <th scope="col">Invited</th>
                <th scope="col">Role</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {organization.invitations.map((invitation) => (
                <tr key={invitation.id} data-invitation={invitation.email}>
                  <th scope="row">{invitation.email}</th>
                  <td data-label="Role">{roleLabel(invitation.role)}</td>
                  <td data-label="Expires">{formatDay(invitation.expiresAt)}</td>
                  <td class="actions">
                    {confirming === invitation.id ? (
                      <span class="confirm">
                        <span>Revoke the invitation?</span>
                        <button class="button button-danger" type="button" onClick={() => revoke(invitation)}>
                          Revoke invitation
                        </button>
                        <button class="button button-quiet" type="button" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button class="button button-quiet" type="button" aria-label={`Revoke the invitation of ${invitation.email}`} onClick={() => setConfirming(invitation.id)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

/**
 * The invitation's link, shown this once: Polaris sends no mail, so the
 * inviter passes it on.
 * @param {{ email: string, url: string, onDismiss: () => void }} props
 */
function InvitationLink({ email, url, onDismiss }) {
  const [copied, setCopied] = useState(/** @type {'yes' | 'no' | null} */ (null));
  const text = useRef(/** @type {HTMLElement | null} */ (null));
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  useLayoutEffect(() => box.current?.focus(), []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('yes');
    } catch {
      const selection = window.getSelection();
      if (text.current && selection) selection.selectAllChildren(text.current);
      setCopied('no');
    }
  };

  return (
    <div class="new-key" ref={box} tabIndex={-1} role="group" aria-labelledby="invitation-link-title">
      <p class="new-key-title" id="invitation-link-title">
        Invitation link for {email}
      </p>
      <p class="small">Send it to them: it works once, for 7 days, and is shown only now.</p>
      <div class="new-key-row">
        <code class="new-key-value" ref={text} data-invitation-link>
          {url}
        </code>
        <button class="button button-primary" type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p class="small" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'no' ? 'The clipboard is not available here: the link is selected, press Ctrl+C (⌘C) to copy it.' : ''}
      </p>
      <button class="button button-quiet" type="button" onClick={onDismiss}>
        Done
      </button>
    </div>
  );
}
