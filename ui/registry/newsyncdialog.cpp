// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry/newsyncdialog.h"

#include "registry/registryoperations.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Sluice {

NewSyncDialog::NewSyncDialog(const Workspace &workspace, const SyncDefinition *base, QWidget *parent)
    : QDialog(parent)
    , m_workspace(workspace)
    , m_duplicate(base != nullptr)
    , m_name(new QLineEdit)
    , m_owner(new QLineEdit)
    , m_purpose(new QLineEdit)
    , m_sourceConnection(new QComboBox)
    , m_model(new QPlainTextEdit)
    , m_key(new QLineEdit)
    , m_destinationConnection(new QComboBox)
    , m_object(new QLineEdit)
    , m_matchField(new QLineEdit)
    , m_mode(new QComboBox)
    , m_tier(new QComboBox)
    , m_firstColumn(new QLineEdit)
    , m_firstField(new QLineEdit)
    , m_problems(new QTreeWidget)
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel))
{
    setObjectName(QStringLiteral("newSyncDialog"));
    setWindowTitle(base ? tr("Duplicate %1").arg(base->name) : tr("New Sync"));
    if (base)
        m_base = *base;
    createButton()->setText(base ? tr("Duplicate") : tr("Create"));

    const QStringList connections = workspace.connections.keys();
    m_sourceConnection->addItems(connections);
    m_destinationConnection->addItems(connections);
    m_sourceConnection->setEditable(true);
    m_destinationConnection->setEditable(true);
    m_mode->addItems({syncModeName(SyncMode::Upsert), syncModeName(SyncMode::Mirror)});
    m_tier->addItems(DefinitionKeys::tiers());
    m_model->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_model->setTabChangesFocus(true);
    m_model->setMaximumHeight(m_model->fontMetrics().height() * 5);
    m_model->setPlaceholderText(tr("SELECT … FROM … — or a table / view name"));
    m_key->setPlaceholderText(tr("the grain: one or more columns, comma separated"));
    m_object->setPlaceholderText(tr("table, sObject, object type, file name …"));
    m_matchField->setPlaceholderText(tr("destination field keyed on the warehouse key (external id)"));
    m_owner->setPlaceholderText(tr("team or person answerable for it, e.g. revops-data@example.com"));
    m_purpose->setPlaceholderText(tr("why it exists, in one sentence"));
    m_firstColumn->setPlaceholderText(tr("column"));
    m_firstField->setPlaceholderText(tr("field"));

    const struct
    {
        QWidget *widget;
        const char *name;
    } names[] = {{m_name, "syncName"},          {m_owner, "syncOwner"},        {m_purpose, "syncPurpose"},
                 {m_sourceConnection, "sourceConnection"}, {m_model, "sourceModel"}, {m_key, "sourceKey"},
                 {m_destinationConnection, "destinationConnection"}, {m_object, "destinationObject"},
                 {m_matchField, "matchField"},  {m_mode, "syncMode"},          {m_tier, "syncTier"},
                 {m_firstColumn, "firstColumn"}, {m_firstField, "firstField"}, {m_problems, "newSyncProblems"}};
    for (const auto &entry : names)
        entry.widget->setObjectName(QString::fromLatin1(entry.name));

    if (base) {
        m_name->setText(RegistryOps::duplicateName(workspace, base->name));
        m_owner->setText(base->owner);
        m_purpose->setText(base->purpose);
        m_sourceConnection->setCurrentText(base->source.connection);
        m_model->setPlainText(base->source.model);
        m_key->setText(base->source.key.join(QStringLiteral(", ")));
        m_destinationConnection->setCurrentText(base->destination.connection);
        m_object->setText(base->destination.object);
        m_matchField->setText(base->destination.matchField);
        m_mode->setCurrentText(syncModeName(base->mode));
        m_tier->setCurrentText(base->tier);
        if (!base->fields.isEmpty()) {
            m_firstColumn->setText(base->fields.first().from);
            m_firstField->setText(base->fields.first().to);
        }
        m_firstColumn->setEnabled(false); // the duplicate keeps every mapping of the original
        m_firstField->setEnabled(false);
    } else {
        m_owner->setText(qEnvironmentVariable("USER"));
        m_tier->setCurrentText(QStringLiteral("low"));
        // A sensible guess: read from a connection syncs already read from, write where they write.
        for (const SyncDefinition &sync : workspace.syncs) {
            m_sourceConnection->setCurrentText(sync.source.connection);
            m_destinationConnection->setCurrentText(sync.destination.connection);
            break;
        }
    }

    m_problems->setRootIsDecorated(false);
    m_problems->setHeaderLabels({tr("Location"), tr("Problem")});
    m_problems->header()->setStretchLastSection(true);
    m_problems->setColumnWidth(0, fontMetrics().horizontalAdvance(u'M') * 12);
    m_problems->setMaximumHeight(fontMetrics().height() * 7);

    auto *mapping = new QHBoxLayout;
    mapping->addWidget(m_firstColumn);
    mapping->addWidget(new QLabel(QStringLiteral("→")));
    mapping->addWidget(m_firstField);
    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Owner:"), m_owner);
    form->addRow(tr("&Purpose:"), m_purpose);
    form->addRow(tr("&Source connection:"), m_sourceConnection);
    form->addRow(tr("&Model SQL:"), m_model);
    form->addRow(tr("&Key:"), m_key);
    form->addRow(tr("&Destination:"), m_destinationConnection);
    form->addRow(tr("O&bject:"), m_object);
    form->addRow(tr("Match &field:"), m_matchField);
    form->addRow(tr("Mo&de:"), m_mode);
    form->addRow(tr("&Tier:"), m_tier);
    form->addRow(base ? tr("Mappings:") : tr("First mapping:"), mapping);

    auto *hint = new QLabel(base ? tr("The copy keeps every mapping, transform and schedule of %1; it opens in the "
                                      "mapping editor once created.")
                                       .arg(base->name)
                                 : tr("Written to syncs/<name>.json, then opened in the mapping editor to map the rest."));
    hint->setWordWrap(true);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(hint);
    layout->addWidget(m_problems);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    for (QLineEdit *edit : {m_name, m_owner, m_purpose, m_key, m_object, m_matchField, m_firstColumn, m_firstField})
        connect(edit, &QLineEdit::textChanged, this, &NewSyncDialog::revalidate);
    connect(m_model, &QPlainTextEdit::textChanged, this, &NewSyncDialog::revalidate);
    for (QComboBox *combo : {m_sourceConnection, m_destinationConnection, m_mode, m_tier})
        connect(combo, &QComboBox::currentTextChanged, this, &NewSyncDialog::revalidate);
    resize(620, 640);
    revalidate();
}

QPushButton *NewSyncDialog::createButton() const
{
    return m_buttons->button(QDialogButtonBox::Ok);
}

SyncDefinition NewSyncDialog::definition() const
{
    SyncDefinition definition = m_duplicate ? m_base : SyncDefinition{};
    definition.name = m_name->text().trimmed();
    definition.owner = m_owner->text().trimmed();
    definition.purpose = m_purpose->text().trimmed();
    definition.tier = m_tier->currentText();
    definition.source.connection = m_sourceConnection->currentText().trimmed();
    definition.source.model = m_model->toPlainText().trimmed();
    definition.source.key.clear();
    for (const QString &column : m_key->text().split(u',', Qt::SkipEmptyParts)) {
        if (!column.trimmed().isEmpty())
            definition.source.key.append(column.trimmed());
    }
    definition.destination.connection = m_destinationConnection->currentText().trimmed();
    definition.destination.object = m_object->text().trimmed();
    definition.destination.matchField = m_matchField->text().trimmed();
    definition.mode = syncModeFromName(m_mode->currentText()).value_or(SyncMode::Upsert);
    if (m_duplicate) {
        definition.destinationSchema.reset(); // the copy pins its own schema when exported with --pin-schema
    } else {
        definition.fields.clear();
        if (!m_firstColumn->text().trimmed().isEmpty() || !m_firstField->text().trimmed().isEmpty()) {
            FieldMapping first;
            first.from = m_firstColumn->text().trimmed();
            first.to = m_firstField->text().trimmed();
            definition.fields.append(first);
        }
    }
    definition.file = QStringLiteral("syncs/%1.json").arg(definition.name);
    return definition;
}

void NewSyncDialog::revalidate()
{
    const SyncDefinition candidate = definition();
    m_issues = RegistryOps::validateNewSync(m_workspace, candidate);
    if (m_workspace.sync(candidate.name))
        m_issues.prepend({candidate.file, QStringLiteral("$.name"), tr("a sync named %1 exists already").arg(candidate.name)});
    m_problems->clear();
    for (const ValidationIssue &issue : std::as_const(m_issues)) {
        auto *item = new QTreeWidgetItem(m_problems, {issue.path, issue.message});
        item->setToolTip(1, issue.toString());
    }
    if (m_issues.isEmpty())
        new QTreeWidgetItem(m_problems, {QStringLiteral("$"), tr("No problems: ready to create")});
    createButton()->setEnabled(m_issues.isEmpty());
}

} // namespace Sluice
