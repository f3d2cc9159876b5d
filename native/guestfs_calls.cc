// libguestfs call table (work in progress on the guest branch).
