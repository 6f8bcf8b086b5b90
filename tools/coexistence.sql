-- Clashes between billing_coordinator and other modules, one row per clash (tools/coexistence.sh).
-- :peers is the list of the OCA peer modules, e.g. ('account_credit_control', ...).
-- "ours" are the records with an xmlid of billing_coordinator.
CREATE TEMP VIEW ours AS
    SELECT model, res_id, name FROM ir_model_data WHERE module = 'billing_coordinator';
CREATE TEMP VIEW theirs AS
    SELECT model, res_id, module, name FROM ir_model_data WHERE module <> 'billing_coordinator';

-- A menu of ours and a menu of another module with the same name under the same parent.
SELECT format('menu "%s" under "%s": billing_coordinator.%s and %s.%s',
              m1.name->>'en_US', coalesce(p.name->>'en_US', '(top level)'), o.name, t.module, t.name)
  FROM ir_ui_menu m1
  JOIN ours o ON o.model = 'ir.ui.menu' AND o.res_id = m1.id
  JOIN ir_ui_menu m2 ON m2.id <> m1.id AND m2.parent_id IS NOT DISTINCT FROM m1.parent_id
   AND lower(m2.name->>'en_US') = lower(m1.name->>'en_US')
  JOIN theirs t ON t.model = 'ir.ui.menu' AND t.res_id = m2.id
  LEFT JOIN ir_ui_menu p ON p.id = m1.parent_id;

-- One record (a field, selection value, view, action, ...) claimed by us and by a peer:
-- the later module silently redefines the other's. Models themselves are shared by design,
-- and so are the magic fields every module that inherits a model declares again, and the
-- ir.model.inherit rows: Odoo's _reflect_inherits gives every module with a class in a
-- model's MRO an xmlid of the same row, so a peer extending a parent of ours (report_xlsx_helper
-- on report.report_xlsx.abstract) co-owns the rows of our XLSX reports.
SELECT format('%s #%s: billing_coordinator.%s and %s.%s', o.model, o.res_id, o.name, t.module, t.name)
  FROM ours o
  JOIN theirs t ON t.model = o.model AND t.res_id = o.res_id AND t.module IN :peers
  LEFT JOIN ir_model_fields f ON o.model = 'ir.model.fields' AND f.id = o.res_id
 WHERE o.model NOT IN ('ir.model', 'ir.model.inherit')
   AND f.name IS DISTINCT FROM 'id' AND f.name IS DISTINCT FROM 'display_name';

-- A model of ours (billing.*) that a peer defines too.
SELECT format('model %s: also in %s', m.model, t.module)
  FROM ir_model m
  JOIN ours o ON o.model = 'ir.model' AND o.res_id = m.id
  JOIN theirs t ON t.model = 'ir.model' AND t.res_id = m.id AND t.module IN :peers
 WHERE m.model LIKE 'billing.%' OR m.model LIKE 'report.billing_coordinator.%';

-- Two fields of one model with the same label, one ours, one a peer's (Odoo warns, and
-- users cannot tell them apart in filters, exports and the field chooser).
SELECT format('field label "%s" on %s: %s (billing_coordinator) and %s (%s)',
              f1.field_description->>'en_US', f1.model, f1.name, f2.name, t.module)
  FROM ir_model_fields f1
  JOIN ours o ON o.model = 'ir.model.fields' AND o.res_id = f1.id
  JOIN ir_model_fields f2 ON f2.model = f1.model AND f2.id <> f1.id
   AND lower(f2.field_description->>'en_US') = lower(f1.field_description->>'en_US')
  JOIN theirs t ON t.model = 'ir.model.fields' AND t.res_id = f2.id AND t.module IN :peers
 WHERE NOT EXISTS (SELECT 1 FROM theirs t2 WHERE t2.model = 'ir.model.fields'
                     AND t2.res_id = f1.id AND t2.module IN :peers);

-- Groups and privileges (the sections of the user form) with the same name.
SELECT format('group "%s" in privilege #%s: billing_coordinator.%s and %s.%s',
              g1.name->>'en_US', g1.privilege_id, o.name, t.module, t.name)
  FROM res_groups g1
  JOIN ours o ON o.model = 'res.groups' AND o.res_id = g1.id
  JOIN res_groups g2 ON g2.id <> g1.id AND g2.privilege_id IS NOT DISTINCT FROM g1.privilege_id
   AND lower(g2.name->>'en_US') = lower(g1.name->>'en_US')
  JOIN theirs t ON t.model = 'res.groups' AND t.res_id = g2.id;
SELECT format('privilege "%s": billing_coordinator.%s and %s.%s',
              p1.name->>'en_US', o.name, t.module, t.name)
  FROM res_groups_privilege p1
  JOIN ours o ON o.model = 'res.groups.privilege' AND o.res_id = p1.id
  JOIN res_groups_privilege p2 ON p2.id <> p1.id
   AND lower(p2.name->>'en_US') = lower(p1.name->>'en_US')
  JOIN theirs t ON t.model = 'res.groups.privilege' AND t.res_id = p2.id;

-- Reports: the same technical report name, or the same label in one model's Print menu.
SELECT format('report %s "%s" on %s: billing_coordinator.%s and %s.%s (%s)',
              r1.report_name, r1.name->>'en_US', r1.model, o.name, t.module, t.name, r2.report_name)
  FROM ir_act_report_xml r1
  JOIN ours o ON o.model = 'ir.actions.report' AND o.res_id = r1.id
  JOIN ir_act_report_xml r2 ON r2.id <> r1.id
   AND (r2.report_name = r1.report_name
        OR (r2.model = r1.model AND lower(r2.name->>'en_US') = lower(r1.name->>'en_US')))
  JOIN theirs t ON t.model = 'ir.actions.report' AND t.res_id = r2.id;

-- Client actions: the same tag is one OWL component; a second registration replaces it.
SELECT format('client action tag %s: billing_coordinator.%s and %s.%s', a1.tag, o.name, t.module, t.name)
  FROM ir_act_client a1
  JOIN ours o ON o.model = 'ir.actions.client' AND o.res_id = a1.id
  JOIN ir_act_client a2 ON a2.id <> a1.id AND a2.tag = a1.tag
  JOIN theirs t ON t.model = 'ir.actions.client' AND t.res_id = a2.id;
