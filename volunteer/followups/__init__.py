"""Follow-up cases (R35): union staff chase the students who missed a month."""
